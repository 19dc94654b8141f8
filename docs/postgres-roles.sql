-- cutover's team backend: one role for the leads, who act, and one for the viewers, who may
-- watch everything but act on nothing (see docs/change-control.md, "On the team backend").
--
-- Run it as the role that owns cutover's tables (the one whose first `cutover` command
-- created them), once the schema exists, and again after an upgrade of cutover. Then make
-- each person a member of one of the two roles, logging in as a role of their own:
--
--   CREATE ROLE alice LOGIN PASSWORD '…' IN ROLE cutover_lead;
--   CREATE ROLE carol LOGIN PASSWORD '…' IN ROLE cutover_viewer;
--
-- Each person's connection string (`[state] url = "env:…"`) logs in as their own role:
-- cutover takes the database session's user as who asks and who approves, and a role that
-- may not append to the log as a viewer.
--
-- The tables' owner also runs each upgrade of cutover first (a new schema version creates
-- objects only the owner may). Tables in a schema other than `public` also need
-- `GRANT USAGE ON SCHEMA <schema> TO cutover_lead, cutover_viewer;`.

DO $$
BEGIN
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cutover_lead') THEN
        CREATE ROLE cutover_lead NOLOGIN;
    END IF;
    IF NOT EXISTS (SELECT FROM pg_roles WHERE rolname = 'cutover_viewer') THEN
        CREATE ROLE cutover_viewer NOLOGIN;
    END IF;
END $$;

-- Leads read everything, append to the log (which refuses every update and delete by
-- itself), and write the samples and notes.
GRANT SELECT, INSERT ON cutover_events TO cutover_lead;
GRANT SELECT, INSERT, UPDATE, DELETE ON cutover_series TO cutover_lead;
GRANT SELECT, INSERT, UPDATE ON cutover_meta TO cutover_lead;

-- Viewers read everything and write one thing: their own "since you last looked" marker,
-- through the function that keys it by their own role.
GRANT SELECT ON cutover_events, cutover_series, cutover_meta TO cutover_viewer;
GRANT EXECUTE ON FUNCTION cutover_save_own_prefs(bytea) TO cutover_viewer;
