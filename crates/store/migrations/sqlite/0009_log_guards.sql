-- Guards of the logs' projections (issue 17). Keep in step with ../postgres/0009_log_guards.sql.
--
-- The logs themselves refuse UPDATE and DELETE (0001, 0005). Their projections did not: deleting
-- a project's row made it vanish from the API and the pages while the log still held it. A
-- projection row whose subject has records is now refused deletion. SQLite has no TRUNCATE (its
-- `DELETE FROM t` without WHERE runs these triggers row by row), so the DELETE triggers are all
-- it needs. Verification starts from the logs in any case and names a log left without its row.

CREATE TRIGGER projects_refuse_delete BEFORE DELETE ON projects
WHEN EXISTS (SELECT 1 FROM audit_records WHERE project_id = OLD.project_id)
BEGIN
    SELECT RAISE(ABORT, 'projects: the row of a project with audit records cannot be deleted');
END;

CREATE TRIGGER committees_refuse_delete BEFORE DELETE ON committees
WHEN EXISTS (SELECT 1 FROM committee_records WHERE committee_id = OLD.committee_id)
BEGIN
    SELECT RAISE(ABORT, 'committees: the row of a committee with audit records cannot be deleted');
END;
