//! Properties of the projection math (`docs/projection.md`).

use cutover::model::projection::{
    Cohort, days_to_goal, deviation_points, fit_p, mix_days_to_goal, mix_share, projected_share,
};
use proptest::prelude::*;

proptest! {
    #[test]
    fn share_stays_within_0_and_1(p in 0.0..=1.0f64, d in -10.0..5000.0f64) {
        let s = projected_share(p, d);
        prop_assert!((0.0..=1.0).contains(&s));
    }

    #[test]
    fn share_grows_with_days(p in 0.001..=1.0f64, d in 0.0..500.0f64, extra in 0.0..500.0f64) {
        prop_assert!(projected_share(p, d + extra) >= projected_share(p, d));
    }

    #[test]
    fn share_grows_with_p(p in 0.0..1.0f64, dp in 0.0..1.0f64, d in 0.0..500.0f64) {
        let q = (p + dp).min(1.0);
        prop_assert!(projected_share(q, d) >= projected_share(p, d));
    }

    #[test]
    fn days_to_goal_inverts_the_share(p in 0.001..0.999f64, g in 0.001..0.999f64) {
        let d = days_to_goal(p, g).expect("reachable below 1");
        prop_assert!(d >= 0.0);
        prop_assert!((projected_share(p, d) - g).abs() < 1e-9);
    }

    #[test]
    fn mix_days_to_goal_inverts_the_mix(
        w in 0.01..0.99f64, p1 in 0.01..0.9f64, p2 in 0.005..0.9f64, g in 0.01..0.99f64
    ) {
        let mix = [Cohort { share: w, p: p1 }, Cohort { share: 1.0 - w, p: p2 }];
        let d = mix_days_to_goal(&mix, g).expect("a mix of positive p reaches any goal < 1");
        prop_assert!((mix_share(&mix, d) - g).abs() < 1e-6);
    }

    #[test]
    fn a_single_cohort_mix_is_the_single_curve(p in 0.001..1.0f64, d in 0.0..300.0f64) {
        let mix = [Cohort { share: 1.0, p }];
        prop_assert!((mix_share(&mix, d) - projected_share(p, d)).abs() < 1e-12);
    }

    #[test]
    fn the_fit_recovers_p_from_its_own_curve(p in 0.005..0.9f64, n in 3usize..60) {
        let samples: Vec<(f64, f64)> = (1..=n)
            .map(|d| (d as f64 * 0.5, projected_share(p, d as f64 * 0.5)))
            .filter(|(_, s)| *s < 1.0)
            .collect();
        prop_assume!(!samples.is_empty());
        let fit = fit_p(&samples).expect("fit");
        prop_assert!((fit - p).abs() < 1e-6, "fit {} for p {}", fit, p);
    }

    #[test]
    fn deviation_is_actual_minus_projected_in_points(a in 0.0..=1.0f64, b in 0.0..=1.0f64) {
        prop_assert!((deviation_points(a, b) - (a - b) * 100.0).abs() < 1e-9);
    }
}

#[test]
fn the_guide_example_is_computed() {
    // P = 0.2, D = 10 → 89.26 %.
    assert_eq!(
        format!("{:.2}", projected_share(0.2, 10.0) * 100.0),
        "89.26"
    );
    assert_eq!(
        format!("{:.1}", days_to_goal(0.2, 0.9).expect("reachable")),
        "10.3"
    );
}
