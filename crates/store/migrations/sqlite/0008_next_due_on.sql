-- The next date something is due on (a local date, YYYY-MM-DD, in the definition's zone), shown
-- as a project's next deadline: next_deadline_at is when the scheduler must wake, which may be a
-- warning's instant days before anything is due. Rows written before this column are filled by
-- Store::migrate, which replays them. Keep in step with ../postgres/0008_next_due_on.sql.
ALTER TABLE projects ADD COLUMN next_due_on TEXT;
