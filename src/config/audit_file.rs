//! `[audit]` as written: how `cutover audit` reads the project's user exports (the target it
//! verdicts hashes for, and each role's column or field). Apart from the rest of the file's
//! shapes because the audit, the move and the live readers all read it.

use serde::Deserialize;

/// `[audit]`: the target whose hash support the audit verdicts, and the export's column or
/// field names (dotted paths in JSON) where they differ from the defaults `cutover audit`
/// looks for. Flags of `cutover audit` override each key.
#[derive(Debug, Clone, Default, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct AuditFile {
    /// fusionauth, keycloak, auth0, authgear, firebase or cognito (default: `[project] target` when it
    /// names one of them).
    pub target: Option<String>,
    /// A compatibility table to use instead of the built-in one (path from the project folder).
    pub compatibility: Option<String>,
    pub id: Option<String>,
    pub email: Option<String>,
    pub username: Option<String>,
    pub hash: Option<String>,
    pub salt: Option<String>,
    /// A column naming each row's hash scheme (FusionAuth's `encryptionScheme`).
    pub scheme: Option<String>,
    pub last_login: Option<String>,
    pub created: Option<String>,
    /// A true/false column: true means disabled, blocked or locked.
    pub disabled: Option<String>,
    /// A true/false column: false means disabled.
    pub active: Option<String>,
    /// A text column such as `active`, `locked`, `pending`.
    pub status: Option<String>,
    /// A true/false column: false means the email is unverified.
    pub verified: Option<String>,
    /// Fields a fully registered user has (default: the email); a user missing any counts as
    /// partially registered. A role name (`email`, `hash`, ...) means that role's field.
    pub required: Option<Vec<String>>,
}
