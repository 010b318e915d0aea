-- PostgreSQL's migration 18 adds a function for the people's fan-out, whose plan its connections
-- keep; SQLite plans its own join cheaply and needs nothing. The number is kept in step.
SELECT 1;
