-- The overdue list of one committee (`Store::list_overdue` with a committee), in the order it is
-- shown: the committee's overdue projects are read in order and the first page stops the scan.
-- Keep in step with ../sqlite/0002_overdue_by_committee.sql.
CREATE INDEX projects_overdue_by_committee ON projects (committee, overdue_since, project_id)
    WHERE overdue_since IS NOT NULL;
