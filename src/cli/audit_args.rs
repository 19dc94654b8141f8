//! `cutover audit`'s arguments: the export, the target and where to record, and a flag per
//! field role (the same roles `[audit]` names in cutover.toml). Apart from the other commands
//! because they are many and only the audit reads them.

use clap::Args;
use std::path::PathBuf;

/// `cutover audit EXPORT`. Column and field flags override `[audit]` in cutover.toml; JSON
/// fields are dotted paths (`custom_password_hash.hash.value`).
#[derive(Debug, Args)]
pub struct AuditArgs {
    /// The user export: CSV with a header, JSON lines (Auth0's export), FusionAuth's import
    /// file or LDIF; or a live LDAP directory, ldap://HOST:PORT/BASE??sub?(FILTER), bound as
    /// [legacy] bind_dn.
    #[arg(value_name = "EXPORT")]
    pub export: PathBuf,
    /// The system users move to: fusionauth, keycloak, auth0, authgear, firebase or cognito (default:
    /// `[audit] target`, else `[project] target`).
    #[arg(long, value_name = "NAME")]
    pub target: Option<String>,
    /// Record the audit for this segment (its `audit` checks read it); default: the project.
    #[arg(long, value_name = "SEGMENT")]
    pub segment: Option<String>,
    /// Measure dates and recency as of this moment (RFC 3339 or epoch ms; default: now).
    #[arg(long, value_name = "TIME")]
    pub at: Option<String>,
    /// A compatibility table to use instead of the built-in one.
    #[arg(long, value_name = "FILE")]
    pub compatibility: Option<PathBuf>,
    /// Print the result as JSON (the acknowledgement goes to stderr).
    #[arg(long)]
    pub json: bool,
    /// Do not record the audit in the project's state.
    #[arg(long)]
    pub no_record: bool,
    /// Write every group of users sharing an email, a username or an id to FILE as CSV
    /// (`kind,group,id,line`: opaque ids and export lines, never an email or a name).
    #[arg(long, value_name = "FILE")]
    pub duplicates: Option<PathBuf>,
    #[arg(long, value_name = "NAME")]
    pub id: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub email: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub username: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub hash: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub salt: Option<String>,
    /// A column naming each row's hash scheme (FusionAuth's encryptionScheme).
    #[arg(long, value_name = "NAME")]
    pub scheme: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub last_login: Option<String>,
    #[arg(long, value_name = "NAME")]
    pub created: Option<String>,
    /// A true/false column: true means disabled, blocked or locked.
    #[arg(long, value_name = "NAME")]
    pub disabled: Option<String>,
    /// A true/false column: false means disabled.
    #[arg(long, value_name = "NAME")]
    pub active: Option<String>,
    /// A text column such as active, locked, pending.
    #[arg(long, value_name = "NAME")]
    pub status: Option<String>,
    /// A true/false column: false means the email is unverified.
    #[arg(long, value_name = "NAME")]
    pub verified: Option<String>,
    /// Fields every fully registered user has, comma-separated (default: email).
    #[arg(long, value_name = "NAMES", value_delimiter = ',')]
    pub required: Option<Vec<String>>,
}
