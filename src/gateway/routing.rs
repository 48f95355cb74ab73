//! Route ordering: which upstream is tried first, and who follows.
//!
//! Candidates come in priority tiers; a lower tier is always tried before a higher one.
//! Within a tier the order is a weighted random permutation: the first is drawn by weight,
//! then the next among the rest by weight, and so on — so traffic splits by weight while every
//! candidate still serves as a fallback. Zero-weight candidates come last in their tier (kept
//! as a last resort, never chosen first). The permutation uses Efraimidis–Spirakis keys
//! (`-ln(u) / w`, ascending), one draw per candidate and one sort.

use rand::RngExt;

/// A route that may serve a request. `weight` is route weight × provider weight.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate<T> {
    pub item: T,
    pub priority: i32,
    pub weight: u64,
}

/// Orders candidates for one request.
pub fn order<T, R: rand::Rng + ?Sized>(candidates: Vec<Candidate<T>>, rng: &mut R) -> Vec<T> {
    let mut keyed: Vec<(i32, f64, T)> = candidates
        .into_iter()
        .map(|c| {
            let key = if c.weight == 0 {
                f64::INFINITY
            } else {
                // u in (0, 1]: never ln(0).
                let u: f64 = 1.0 - rng.random::<f64>();
                -u.ln() / c.weight as f64
            };
            (c.priority, key, c.item)
        })
        .collect();
    keyed.sort_by(|a, b| a.0.cmp(&b.0).then(a.1.total_cmp(&b.1)));
    keyed.into_iter().map(|(_, _, item)| item).collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng;

    fn c(item: &'static str, priority: i32, weight: u64) -> Candidate<&'static str> {
        Candidate {
            item,
            priority,
            weight,
        }
    }

    #[test]
    fn lower_tiers_always_come_first() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(7);
        for _ in 0..200 {
            let o = order(
                vec![c("backup", 1, 1000), c("main-a", 0, 1), c("main-b", 0, 1)],
                &mut rng,
            );
            assert_eq!(o[2], "backup");
        }
    }

    #[test]
    fn first_picks_follow_the_weights() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(42);
        let n = 20_000;
        let mut first = std::collections::HashMap::new();
        for _ in 0..n {
            let o = order(vec![c("a", 0, 100), c("b", 0, 50), c("c", 0, 25)], &mut rng);
            *first.entry(o[0]).or_insert(0usize) += 1;
        }
        let share = |k| first[k] as f64 / n as f64;
        // Expected 4/7, 2/7, 1/7; a seeded run lands well within 2 points.
        assert!((share("a") - 4.0 / 7.0).abs() < 0.02, "{first:?}");
        assert!((share("b") - 2.0 / 7.0).abs() < 0.02, "{first:?}");
        assert!((share("c") - 1.0 / 7.0).abs() < 0.02, "{first:?}");
    }

    #[test]
    fn every_candidate_appears_once_and_zero_weight_comes_last_in_its_tier() {
        let mut rng = rand::rngs::StdRng::seed_from_u64(1);
        for _ in 0..100 {
            let o = order(
                vec![c("z", 0, 0), c("a", 0, 1), c("b", 0, 9), c("t1", 1, 5)],
                &mut rng,
            );
            assert_eq!(o.len(), 4);
            assert_eq!(o[2], "z");
            assert_eq!(o[3], "t1");
        }
    }
}
