//! The team backend's schema over time: each version's statements, applied once and in order
//! under an advisory lock when a process opens the database, and the claim that ties a
//! database to one project. A database already at this build's version is only read, so a
//! role with read-only grants (a viewer, see [`super::pg_roles`]) opens it too.

use super::pg::{PgError, refused};

/// The schema this build writes and the newest it reads.
pub const PG_SCHEMA_VERSION: u32 = 4;
/// The advisory lock key of migrations.
const MIGRATION_LOCK: i64 = 0x6375_746f_7665_7202;

/// Each schema version's statements, applied in order.
const MIGRATIONS: &[(u32, &str)] = &[
    (
        1,
        "CREATE TABLE cutover_events (
         seq bigint PRIMARY KEY CHECK (seq > 0),
         segment text NOT NULL,
         at timestamptz NOT NULL,
         body text NOT NULL
     );
     CREATE INDEX cutover_events_by_segment ON cutover_events (segment, seq);
     CREATE FUNCTION cutover_events_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
     BEGIN
         RAISE EXCEPTION 'the cutover event log is append-only';
     END $$;
     CREATE TRIGGER cutover_events_append_only BEFORE UPDATE OR DELETE ON cutover_events
         FOR EACH ROW EXECUTE FUNCTION cutover_events_append_only();",
    ),
    (
        2,
        "CREATE TABLE cutover_series (key bytea PRIMARY KEY, value bytea NOT NULL);",
    ),
    (3, super::pg_roles::OWN_PREFS_FUNCTION),
    // The sample layout of sled's schema 3 (minute rollups where raw blocks are gone, hours of
    // whole days compressed, the day index) in `cutover_series`: no table changes, but a build
    // before it would misread such rows.
    (4, "SELECT 1"),
];

/// Bring the schema to this build's version, or refuse a newer one. A schema already at this
/// version is only read: a role with read-only grants (a viewer) opens it too.
pub(super) fn migrate(client: &mut postgres::Client) -> Result<(), PgError> {
    let exists: bool = client
        .query_one("SELECT to_regclass('cutover_meta') IS NOT NULL", &[])
        .map_err(|e| refused(&e))?
        .get(0);
    if exists {
        let current = client
            .query_opt(
                "SELECT value FROM cutover_meta WHERE key = 'schema_version'",
                &[],
            )
            .map_err(|e| refused(&e))?
            .map(|row| row.get::<_, String>(0));
        match current.and_then(|v| v.parse::<u32>().ok()) {
            Some(v) if v == PG_SCHEMA_VERSION => return Ok(()),
            // Said before anything is tried: a role that may not create tables would
            // otherwise be told of a permission instead.
            Some(v) if v > PG_SCHEMA_VERSION => {
                return Err(PgError::NewerSchema {
                    found: v,
                    supported: PG_SCHEMA_VERSION,
                });
            }
            _ => {}
        }
    }
    let mut tx = client.transaction().map_err(|e| refused(&e))?;
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&MIGRATION_LOCK])
        .map_err(|e| refused(&e))?;
    tx.batch_execute(
        "CREATE TABLE IF NOT EXISTS cutover_meta (key text PRIMARY KEY, value text NOT NULL)",
    )
    .map_err(|e| refused(&e))?;
    let found: u32 = tx
        .query_opt(
            "SELECT value FROM cutover_meta WHERE key = 'schema_version'",
            &[],
        )
        .map_err(|e| refused(&e))?
        .and_then(|row| row.get::<_, String>(0).parse().ok())
        .unwrap_or(0);
    if found > PG_SCHEMA_VERSION {
        return Err(PgError::NewerSchema {
            found,
            supported: PG_SCHEMA_VERSION,
        });
    }
    for (version, sql) in MIGRATIONS.iter().filter(|(v, _)| *v > found) {
        tx.batch_execute(sql).map_err(|e| refused(&e))?;
        tx.execute(
            "INSERT INTO cutover_meta (key, value) VALUES ('schema_version', $1)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            &[&version.to_string()],
        )
        .map_err(|e| refused(&e))?;
    }
    tx.commit().map_err(|e| refused(&e))
}

/// Record which project this database holds, or refuse another project's database.
pub(super) fn claim(client: &mut postgres::Client, project: &str) -> Result<(), PgError> {
    // Read first: a claimed database is only read (a viewer's role may not insert).
    let claimed = client
        .query_opt("SELECT value FROM cutover_meta WHERE key = 'project'", &[])
        .map_err(|e| refused(&e))?;
    if claimed.is_none() {
        client.execute(
            "INSERT INTO cutover_meta (key, value) VALUES ('project', $1) ON CONFLICT (key) DO NOTHING",
            &[&project],
            )
            .map_err(|e| refused(&e))?;
    }
    let held: String = client
        .query_one("SELECT value FROM cutover_meta WHERE key = 'project'", &[])
        .map_err(|e| refused(&e))?
        .get(0);
    if held != project {
        return Err(PgError::Refused(format!(
            "this database holds the project '{held}', not '{project}'; give each project a database of its own"
        )));
    }
    Ok(())
}
