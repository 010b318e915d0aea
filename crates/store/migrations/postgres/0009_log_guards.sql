-- Guards of the logs' projections (issue 17). Keep in step with ../sqlite/0009_log_guards.sql.
--
-- The logs themselves refuse UPDATE, DELETE and TRUNCATE (0001, 0005). Their projections did
-- not: `TRUNCATE projects CASCADE` made every project vanish from the API and the pages while
-- the log still held it. A projection row whose subject has records is now refused deletion,
-- and TRUNCATE (which bypasses row triggers) is refused outright on both projections.
-- Verification starts from the logs in any case and names a log left without its row.

CREATE FUNCTION projects_refuse_orphaning() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM audit_records WHERE project_id = OLD.project_id) THEN
        RAISE EXCEPTION 'projects: the row of a project with audit records cannot be deleted';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER projects_refuse_delete BEFORE DELETE ON projects
    FOR EACH ROW EXECUTE FUNCTION projects_refuse_orphaning();

CREATE FUNCTION committees_refuse_orphaning() RETURNS trigger AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM committee_records WHERE committee_id = OLD.committee_id) THEN
        RAISE EXCEPTION 'committees: the row of a committee with audit records cannot be deleted';
    END IF;
    RETURN OLD;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER committees_refuse_delete BEFORE DELETE ON committees
    FOR EACH ROW EXECUTE FUNCTION committees_refuse_orphaning();

CREATE FUNCTION projections_refuse_truncate() RETURNS trigger AS $$
BEGIN
    RAISE EXCEPTION '% is the projection of an append-only log: TRUNCATE is refused', TG_TABLE_NAME;
END;
$$ LANGUAGE plpgsql;

CREATE TRIGGER projects_refuse_truncate BEFORE TRUNCATE ON projects
    FOR EACH STATEMENT EXECUTE FUNCTION projections_refuse_truncate();

CREATE TRIGGER committees_refuse_truncate BEFORE TRUNCATE ON committees
    FOR EACH STATEMENT EXECUTE FUNCTION projections_refuse_truncate();
