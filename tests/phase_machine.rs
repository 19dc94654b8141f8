//! The phase machine, exhaustively: every action from every phase, with every blocker.
//! Pure: no I/O, no async.

use chrono::{TimeZone, Utc};
use cutover::model::{
    Action, Decision, Facts, Hold, HookAction, HookSet, PendingHook, Phase, SegmentState, Status,
    Verdict, decide,
};

const ACTIONS: [Action; 15] = [
    Action::Advance,
    Action::Retest,
    Action::RollBack,
    Action::RetryRollBack,
    Action::Replan,
    Action::Pause,
    Action::Resume,
    Action::GuardFailed,
    Action::AdoptFit,
    Action::RunChecks,
    Action::Audit,
    Action::Move,
    Action::Alarm,
    Action::Guarding,
    Action::Approval,
];

fn state(phase: Phase) -> SegmentState {
    SegmentState {
        phase,
        ..SegmentState::default()
    }
}

fn green<'a>(state: &'a SegmentState) -> Facts<'a> {
    Facts {
        segment: "eu",
        state,
        plan_problems: &[],
        checks: &[],
        gates: &[],
        migrated_share: Some(0.95),
        goal: 0.9,
        deadline_passed: false,
        reconciled: None,
        drift: &[],
        reason_given: false,
        fitted: None,
        hooks: HookSet {
            cutover: true,
            rollback: true,
            done: false,
        },
    }
}

/// The phase each action leads to from each phase with nothing blocking (None: refused).
fn expected(from: Phase, action: Action) -> Option<Phase> {
    use Phase::*;
    match (action, from) {
        (Action::Advance, Plan) => Some(Test),
        (Action::Advance, Test) => Some(Gate),
        (Action::Advance, Gate) => Some(Cutover),
        (Action::Advance, Cutover) => Some(Done),
        (Action::Advance, Done | RolledBack) => None,
        (Action::Retest, Gate) => Some(Test),
        (Action::Retest, _) => None,
        (Action::RollBack, Test | Gate | Cutover | Done) => Some(RolledBack),
        (Action::RollBack, Plan | RolledBack) => None,
        (Action::RetryRollBack, _) => None,
        (Action::Replan, RolledBack) => Some(Plan),
        (Action::Replan, _) => None,
        (Action::Pause, _) => None,       // a hold, not a phase change
        (Action::Resume, _) => None,      // refused: not paused
        (Action::GuardFailed, _) => None, // recorded by the guard, never requested
        (Action::AdoptFit, _) => None,    // refused without a forecast; never a phase change
        // Recorded with their results by the engine, never decided by the machine.
        (Action::RunChecks | Action::Audit | Action::Move | Action::Reconcile, _) => None,
        (Action::Alarm, _) => None, // recorded by the guarding owner, never requested
        (Action::Guarding, _) => None, // recorded by long-lived owners, never requested
        (Action::Approval, _) => None, // recorded by change control, never decided here
    }
}

#[test]
fn every_action_from_every_phase_matches_the_table() {
    for from in Phase::ALL {
        for action in ACTIONS {
            let st = state(from);
            let result = decide(action, &green(&st));
            match (expected(from, action), &result) {
                (Some(to), Ok(d)) => assert_eq!(d.target(), Some(to), "{action} from {from}"),
                (None, Ok(Decision::Hold)) if action == Action::Pause => {}
                (None, Err(refusal)) => {
                    assert!(!refusal.0.is_empty(), "{action} from {from}: empty reason");
                    assert!(
                        refusal.0.contains("eu") || refusal.0.contains(':'),
                        "{action} from {from}: reason names nothing: {refusal}"
                    );
                }
                (want, got) => panic!("{action} from {from}: expected {want:?}, got {got:?}"),
            }
        }
    }
}

#[test]
fn hooks_fire_exactly_on_cutover_rollback_and_done_when_configured() {
    for from in Phase::ALL {
        for action in ACTIONS {
            let st = state(from);
            let mut facts = green(&st);
            facts.hooks = HookSet {
                cutover: true,
                rollback: true,
                done: true,
            };
            let want = match (action, from) {
                (Action::Advance, Phase::Gate) => Some(HookAction::Cutover),
                (Action::Advance, Phase::Cutover) => Some(HookAction::Done),
                (Action::RollBack, Phase::Test | Phase::Gate | Phase::Cutover | Phase::Done) => {
                    Some(HookAction::Rollback)
                }
                _ => None,
            };
            let got = match decide(action, &facts) {
                Ok(Decision::Fire { hook, .. }) => Some(hook),
                _ => None,
            };
            assert_eq!(got, want, "{action} from {from}");
            // Without hooks configured the same transitions just move.
            facts.hooks = HookSet::default();
            if let Ok(d) = decide(action, &facts) {
                assert!(
                    !matches!(d, Decision::Fire { .. }),
                    "{action} from {from} fired without a hook"
                );
            }
        }
    }
}

fn verdict(name: &str, status: Status, reason: &str) -> Verdict {
    Verdict {
        name: name.into(),
        status,
        reason: reason.into(),
    }
}

#[test]
fn refusals_say_what_to_do() {
    let plan = state(Phase::Plan);
    let problems = vec!["size is 0: set the segment's user count".to_string()];
    let facts = Facts {
        plan_problems: &problems,
        ..green(&plan)
    };
    let r = decide(Action::Advance, &facts).expect_err("incomplete plan");
    assert!(r.0.contains("size is 0"), "{r}");

    let test = state(Phase::Test);
    let checks = [verdict("smoke login", Status::Fail, "HTTP 500 from /login")];
    let facts = Facts {
        checks: &checks,
        ..green(&test)
    };
    let r = decide(Action::Advance, &facts).expect_err("failing check");
    assert!(
        r.0.contains("smoke login") && r.0.contains("HTTP 500"),
        "{r}"
    );

    let gate = state(Phase::Gate);
    let gates = [
        verdict(
            "failure rate <= 2 %",
            Status::Fail,
            "3.1 % (sample 14 s old)",
        ),
        verdict("p95 <= 400 ms", Status::Unknown, "no sample for 6 min"),
        verdict("soak 24 h", Status::Pass, "30 h"),
    ];
    let facts = Facts {
        gates: &gates,
        ..green(&gate)
    };
    let r = decide(Action::Advance, &facts).expect_err("failing gate");
    assert!(r.0.contains("3.1 %") && r.0.contains("unknown"), "{r}");
    assert!(
        !r.0.contains("soak"),
        "passing criteria are not blockers: {r}"
    );

    let cut = state(Phase::Cutover);
    let facts = Facts {
        migrated_share: Some(0.5),
        ..green(&cut)
    };
    let r = decide(Action::Advance, &facts).expect_err("short of goal");
    assert!(r.0.contains("50.0 %") && r.0.contains("90.0 %"), "{r}");
    let facts = Facts {
        migrated_share: None,
        ..green(&cut)
    };
    assert!(decide(Action::Advance, &facts).is_err());
}

#[test]
fn after_the_deadline_an_operator_may_close_short_of_the_goal_and_it_says_by_how_much() {
    let cut = state(Phase::Cutover);
    let facts = Facts {
        migrated_share: Some(0.8),
        deadline_passed: true,
        ..green(&cut)
    };
    match decide(Action::Advance, &facts) {
        Ok(Decision::Move {
            to: Phase::Done,
            note: Some(n),
            ..
        }) => {
            assert!(n.contains("80.0 %") && n.contains("10.0 %"), "{n}")
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_hold_blocks_every_advance_but_never_the_way_back() {
    let since = Utc
        .with_ymd_and_hms(2026, 11, 2, 9, 0, 0)
        .single()
        .expect("date");
    for from in Phase::ALL {
        let mut st = state(from);
        st.hold = Some(Hold {
            reason: "freeze for Black Friday".into(),
            actor: "ana".into(),
            since,
        });
        let facts = green(&st);
        let r = decide(Action::Advance, &facts).expect_err("held");
        assert!(
            r.0.contains("Black Friday") && r.0.contains("resume"),
            "{r}"
        );
        assert_eq!(
            decide(Action::RollBack, &facts).is_ok(),
            from.can_roll_back(),
            "rollback from {from} while held"
        );
        assert!(decide(Action::Pause, &facts).is_err(), "double pause");
        assert_eq!(decide(Action::Resume, &facts), Ok(Decision::Resume));
    }
}

#[test]
fn a_failed_rollback_is_retried_with_its_own_key_and_blocks_everything_else() {
    let mut st = state(Phase::Cutover);
    st.rollback_failed = Some(PendingHook {
        action: HookAction::Rollback,
        key: 41,
        from: Phase::Cutover,
        to: Phase::RolledBack,
    });
    assert_eq!(
        st.display_phase(),
        cutover::model::PhaseShown::RollbackFailed
    );
    let facts = green(&st);
    match decide(Action::RetryRollBack, &facts) {
        Ok(Decision::Fire {
            hook: HookAction::Rollback,
            retry_of: Some(41),
            from: Phase::Cutover,
            to: Phase::RolledBack,
            ..
        }) => {}
        other => panic!("{other:?}"),
    }
    let r = decide(Action::RollBack, &facts).expect_err("plain rollback refused");
    assert!(r.0.contains("--retry"), "{r}");
    let r = decide(Action::Advance, &facts).expect_err("advance refused");
    assert!(r.0.contains("--retry"), "{r}");
}

#[test]
fn an_interrupted_hook_is_refired_with_the_same_key() {
    let mut st = state(Phase::Gate);
    st.pending = Some(PendingHook {
        action: HookAction::Cutover,
        key: 7,
        from: Phase::Gate,
        to: Phase::Cutover,
    });
    match decide(Action::Advance, &green(&st)) {
        Ok(Decision::Fire {
            retry_of: Some(7), ..
        }) => {}
        other => panic!("{other:?}"),
    }
    // A rollback is always allowed, even over an unfinished cutover.
    assert!(decide(Action::RollBack, &green(&st)).is_ok());

    let mut st = state(Phase::Cutover);
    st.pending = Some(PendingHook {
        action: HookAction::Rollback,
        key: 9,
        from: Phase::Cutover,
        to: Phase::RolledBack,
    });
    assert!(decide(Action::Advance, &green(&st)).is_err());
    assert!(decide(Action::RollBack, &green(&st)).is_err());
    assert!(matches!(
        decide(Action::RetryRollBack, &green(&st)),
        Ok(Decision::Fire {
            retry_of: Some(9),
            ..
        })
    ));
}

#[test]
fn adopting_the_fit_needs_a_forecast_and_changes_no_phase() {
    let mix = [
        cutover::model::Cohort { share: 0.6, p: 0.1 },
        cutover::model::Cohort { share: 0.4, p: 0.0 },
    ];
    for from in Phase::ALL {
        let st = state(from);
        let mut facts = green(&st);
        let refused = decide(Action::AdoptFit, &facts).expect_err("no forecast");
        assert!(refused.0.contains("no forecast"), "{refused}");
        facts.fitted = Some(&mix);
        match decide(Action::AdoptFit, &facts) {
            Ok(d @ Decision::Adopt(_)) => {
                assert_eq!(d.target(), None, "{from}");
                assert_eq!(d, Decision::Adopt(mix.to_vec()));
            }
            other => panic!("{from}: {other:?}"),
        }
    }
}

#[test]
fn passing_checks_are_named_in_the_move_and_every_failing_one_in_a_refusal() {
    let test = state(Phase::Test);
    let pass = [
        verdict("synthetic login", Status::Pass, "exit 0"),
        verdict("audit", Status::Pass, "0 duplicate users"),
    ];
    let d = decide(
        Action::Advance,
        &Facts {
            checks: &pass,
            ..green(&test)
        },
    )
    .expect("checks pass");
    assert_eq!(
        d,
        Decision::Move {
            from: Phase::Test,
            to: Phase::Gate,
            note: Some("checks 2/2 pass".into())
        }
    );
    let mixed = [
        verdict("synthetic login", Status::Fail, "exited with 3"),
        verdict("audit", Status::Unknown, "not run yet"),
        verdict("fallback", Status::Pass, "exit 0"),
    ];
    let r = decide(
        Action::Advance,
        &Facts {
            checks: &mixed,
            ..green(&test)
        },
    )
    .expect_err("a check fails");
    assert!(r.0.contains("synthetic login: exited with 3"), "{r}");
    assert!(r.0.contains("audit: unknown (not run yet)"), "{r}");
    assert!(!r.0.contains("fallback"), "{r}");
}

#[test]
fn a_segment_that_moved_users_goes_done_only_reconciled_or_past_its_deadline_with_a_reason() {
    let cutover = state(Phase::Cutover);
    let failing = Some((Status::Fail, "3 missing > max 0".to_string()));
    let facts = Facts {
        reconciled: failing.clone(),
        ..green(&cutover)
    };
    let r = decide(Action::Advance, &facts).expect_err("not reconciled");
    assert!(r.0.contains("3 missing"), "{r}");
    let with_reason = Facts {
        reconciled: failing.clone(),
        reason_given: true,
        ..green(&cutover)
    };
    assert!(
        decide(Action::Advance, &with_reason).is_err(),
        "a reason is not enough before the deadline"
    );
    let late = Facts {
        reconciled: failing.clone(),
        deadline_passed: true,
        ..green(&cutover)
    };
    let r = decide(Action::Advance, &late).expect_err("late, but no reason");
    assert!(r.0.contains("--reason"), "{r}");
    let late_with_reason = Facts {
        reason_given: true,
        ..late
    };
    let d = decide(Action::Advance, &late_with_reason).expect("closed with a reason");
    assert_eq!(d.target(), Some(Phase::Done));
    let reconciled = Facts {
        reconciled: Some((Status::Pass, "ok".to_string())),
        ..green(&cutover)
    };
    assert_eq!(
        decide(Action::Advance, &reconciled)
            .expect("reconciled")
            .target(),
        Some(Phase::Done)
    );
}
