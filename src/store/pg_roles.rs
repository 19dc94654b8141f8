//! Who this process is on the team backend, for change control: the database session's user
//! (the role its connection string logs in as), and whether that role may write the project's
//! log. A lead's role writes; a role given only the read-only grants of `docs/postgres-roles.sql`
//! is a viewer: its process shows everything, never leads, and every action it is asked is
//! refused by name. A viewer may still keep its own cockpit memory ("since you last looked")
//! through one function that writes only the note keyed by its own session user.

use super::pg::{PgError, refused};

/// This process's database session.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Session {
    /// `session_user`: the role the connection logged in as.
    pub user: String,
    /// Whether the role may append to the log (`INSERT` on `cutover_events`).
    pub writes: bool,
}

/// The schema's function that keeps the calling role's own cockpit memory. It runs with its
/// owner's rights (`SECURITY DEFINER`) and writes exactly one key: the note `user-prefs:` of
/// `session_user`, which the caller cannot choose. The key's first byte `n` is the sample
/// store's tag of notes (see `store::samples::keys`). Nothing a caller could create is on its
/// path: its `search_path` is `pg_catalog` then `pg_temp`, the table is named with the schema
/// it was created in (written in when the migration runs), and the functions and operator it
/// uses are `pg_catalog`'s, by name.
pub(super) const OWN_PREFS_FUNCTION: &str = "
DO $migration$
BEGIN
    EXECUTE format($create$
        CREATE FUNCTION %1$I.cutover_save_own_prefs(prefs bytea) RETURNS void
            LANGUAGE sql SECURITY DEFINER SET search_path = pg_catalog, pg_temp AS $body$
            INSERT INTO %1$I.cutover_series (key, value)
            VALUES (pg_catalog.convert_to('nuser-prefs:' OPERATOR(pg_catalog.||) session_user::text, 'UTF8'), prefs)
            ON CONFLICT (key) DO UPDATE SET value = excluded.value
        $body$;
        REVOKE ALL ON FUNCTION %1$I.cutover_save_own_prefs(bytea) FROM PUBLIC;
    $create$, current_schema());
END
$migration$;";

/// Ask the server who this session is and whether it may append.
pub(super) fn session(client: &mut impl postgres::GenericClient) -> Result<Session, PgError> {
    let row = client
        .query_one(
            "SELECT session_user::text, has_table_privilege('cutover_events', 'INSERT')",
            &[],
        )
        .map_err(|e| refused(&e))?;
    Ok(Session {
        user: row.get(0),
        writes: row.get(1),
    })
}

/// Keep the session user's own cockpit memory (see [`OWN_PREFS_FUNCTION`]).
pub(super) fn save_own_prefs(
    client: &mut impl postgres::GenericClient,
    prefs: &[u8],
) -> Result<(), PgError> {
    client
        .execute("SELECT cutover_save_own_prefs($1)", &[&prefs])
        .map(|_| ())
        .map_err(|e| refused(&e))
}
