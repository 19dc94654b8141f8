//! `cutover rollback`'s arguments: the reason, the dry run, deleting active users with its
//! typed confirmation, a retry, and how to wait. Apart from the other commands because they
//! are many and only the rollback reads them.

/// `cutover rollback`'s arguments.
#[derive(Debug, clap::Args)]
pub struct RollbackArgs {
    pub segment: String,
    #[arg(long, value_name = "TEXT", required_unless_present_any = ["retry", "dry_run"])]
    pub reason: Option<String>,
    /// Say what the rollback would lose (users of the segment's move active on the target
    /// since they moved: logged in, changed their password, enrolled MFA), and do nothing.
    #[arg(long, conflicts_with_all = ["retry", "no_wait", "delete_active"])]
    pub dry_run: bool,
    /// Let the undo delete users active on the target since they moved too (it keeps
    /// them by default). Asks to type the segment's id, or takes --confirm SEGMENT.
    #[arg(long)]
    pub delete_active: bool,
    /// The typed confirmation of --delete-active: the segment's id.
    #[arg(long, value_name = "SEGMENT", requires = "delete_active")]
    pub confirm: Option<String>,
    /// Re-fire a failed or unfinished rollback hook with the same idempotency key.
    #[arg(long)]
    pub retry: bool,
    /// Print `{segment, undo_deletes, undo_keeps, events}`: how many users the undo of the
    /// segment's move deletes and keeps (counted before it runs), and the events the rollback
    /// recorded.
    #[arg(long)]
    pub json: bool,
    /// Return once the rollback is under way (the undo and the hook go on in the running
    /// owner) instead of waiting for its end.
    #[arg(long, conflicts_with = "json")]
    pub no_wait: bool,
}
