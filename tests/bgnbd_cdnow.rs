//! The BG/NBD estimator against its published table: fitted to the CDNOW sample's 39-week
//! calibration period (2,357 customers, `tests/fixtures/cdnow_customers_summary.csv`, its
//! source named in the file), each parameter lands within 1 % of Fader, Hardie & Lee (2005):
//! r = 0.243, α = 4.414, a = 0.793, b = 2.426.

use cutover::model::bgnbd::{History, fit};

fn cdnow() -> Vec<History> {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/fixtures/cdnow_customers_summary.csv");
    let text = std::fs::read_to_string(&path).expect("the CDNOW fixture");
    text.lines()
        .filter(|l| !l.starts_with('#') && !l.starts_with("ID"))
        .map(|l| {
            let v: Vec<f64> = l
                .split(',')
                .skip(1)
                .map(|f| f.trim().parse().expect("a number"))
                .collect();
            History::checked(v[0], v[1], v[2]).expect("a history")
        })
        .collect()
}

#[test]
fn the_fit_lands_within_one_percent_of_the_published_parameters() {
    let users = cdnow();
    assert_eq!(users.len(), 2_357);
    let found = fit(&users).expect("a fit");
    let p = found.params;
    eprintln!("fitted {p:?}, log-likelihood {:.1}", found.log_likelihood);
    for (name, got, published) in [
        ("r", p.r, 0.243),
        ("alpha", p.alpha, 4.414),
        ("a", p.a, 0.793),
        ("b", p.b, 2.426),
    ] {
        let off = (got - published).abs() / published;
        assert!(
            off <= 0.01,
            "{name} = {got:.4}, published {published}: {:.2} % off",
            off * 100.0
        );
    }
    // The paper's log-likelihood at its estimates.
    assert!(
        (found.log_likelihood - (-9582.4)).abs() < 1.0,
        "{}",
        found.log_likelihood
    );
}
