-- The people a record's notice goes to by e-mail of their own (issue 20), as a PL/pgSQL function
-- whose plan each connection keeps: the writer's statement joins its records to it instead of
-- to three tables. Planned in every statement (whose shape varies with the batch), that join cost
-- PostgreSQL about 230 µs of planning, some 38 µs a fire in the API load bench, though nobody
-- had chosen anything (docs/performance.md). The rule is the one of `PERSONAL_FAN_OUT` on
-- SQLite: the people who chose the kind of event, have a proved address (a channel in webhooks),
-- are not disabled, and may see the project (everything, its committee, or the project itself).
CREATE FUNCTION person_fan_out(chosen_event_type TEXT, project_committee TEXT, project TEXT)
RETURNS TABLE (account_id TEXT)
LANGUAGE plpgsql STABLE
AS $$
BEGIN
    RETURN QUERY
    SELECT c.account_id
    FROM person_event_choices c
    JOIN accounts a ON a.account_id = c.account_id AND a.disabled_at IS NULL
    JOIN webhooks w ON w.audience = 'person:' || c.account_id
    WHERE c.event_type = chosen_event_type
      AND (a.role IN ('admin', 'supervisor', 'auditor')
           OR (a.role IN ('secretariat', 'chair', 'member') AND a.committee = project_committee)
           OR (a.role = 'drafter' AND a.project_id = project));
END;
$$;
