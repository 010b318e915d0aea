-- The flags a project was given at its creation (a definition's [[project_flags]], such as being
-- tied to legal or livelihood metrology), so that the project list can be filtered by them.
-- Written as ",flag_a,flag_b," (each code between commas, in order) or '' when there are none,
-- so that one flag is found with LIKE '%,code,%'. Projects created before flags existed have none.
-- Keep in step with the other backend's 0007_project_flags.sql.
ALTER TABLE projects ADD COLUMN flags TEXT NOT NULL DEFAULT '';
