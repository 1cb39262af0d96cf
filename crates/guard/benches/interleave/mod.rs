//! Interleaved timing shared by the `paired` and `layer` benches: two workloads run in
//! alternating batches (the order flipping every round), so that load coming and going on a
//! shared machine spoils single rounds rather than one side of the comparison.

use std::time::Instant;

/// Per-call medians of A and B, and the median of per-round B/A ratios, over `rounds`
/// rounds of `batch` calls each (after three warm-up rounds).
pub(crate) fn pair(
    rounds: usize,
    batch: usize,
    a: impl Fn(usize),
    b: impl Fn(usize),
) -> (f64, f64, f64) {
    let time = |f: &dyn Fn(usize)| {
        let start = Instant::now();
        f(batch);
        start.elapsed().as_secs_f64() / batch as f64
    };
    let (mut ta, mut tb, mut ratios) = (Vec::new(), Vec::new(), Vec::new());
    for _ in 0..3 {
        time(&a);
        time(&b);
    }
    for round in 0..rounds {
        let (x, y) = if round % 2 == 0 {
            let x = time(&a);
            (x, time(&b))
        } else {
            let y = time(&b);
            (time(&a), y)
        };
        ta.push(x);
        tb.push(y);
        ratios.push(y / x);
    }
    (median(ta), median(tb), median(ratios))
}

/// The median (the upper one for an even count).
fn median(mut values: Vec<f64>) -> f64 {
    values.sort_by(f64::total_cmp);
    values[values.len() / 2]
}

/// A count from the environment, or `default`.
pub(crate) fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}
