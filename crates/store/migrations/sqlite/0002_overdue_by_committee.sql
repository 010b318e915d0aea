-- The overdue list of one committee (`Store::list_overdue` with a committee), in the order it is
-- shown. Without this index SQLite reads every project of the committee through
-- projects_by_committee and sorts them: 120 ms a page with 1,000,000 projects (docs/performance.md,
-- "Store at scale"). Keep in step with ../postgres/0002_overdue_by_committee.sql.
CREATE INDEX projects_overdue_by_committee ON projects (committee, overdue_since, project_id)
    WHERE overdue_since IS NOT NULL;
