//! Hourly rollups: what `/admin/stats` and `stats` read instead of scanning raw logs.
//!
//! A rollup groups requests by hour × model × provider × route × client key and keeps sums
//! (requests, successes, tokens, cost, latency) and two histograms (latency, time to first
//! token) over fixed millisecond buckets, so percentiles of any set of rollups come from
//! adding bucket counts. A percentile is reported as the upper bound of the bucket it falls
//! in (as Prometheus' `histogram_quantile` would, without interpolation): at most one bucket
//! step (≈ ×1.5) above the exact value.

use std::collections::HashMap;

use chrono::{DateTime, DurationRound, TimeDelta, Utc};

use super::record::RequestRecord;

/// Upper bounds (ms) of the histogram buckets; a last, open bucket catches the rest.
pub const BOUNDS_MS: [u64; 27] = [
    1, 2, 3, 5, 7, 10, 15, 20, 30, 50, 75, 100, 150, 200, 300, 500, 750, 1_000, 1_500, 2_000,
    3_000, 5_000, 7_500, 10_000, 20_000, 60_000, 120_000,
];
pub const BUCKETS: usize = BOUNDS_MS.len() + 1;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Histogram(pub [u64; BUCKETS]);

impl Default for Histogram {
    fn default() -> Self {
        Histogram([0; BUCKETS])
    }
}

impl Histogram {
    pub fn observe(&mut self, ms: u64) {
        let i = BOUNDS_MS
            .iter()
            .position(|b| ms <= *b)
            .unwrap_or(BOUNDS_MS.len());
        self.0[i] += 1;
    }

    pub fn add(&mut self, other: &Histogram) {
        for (a, b) in self.0.iter_mut().zip(other.0.iter()) {
            *a += b;
        }
    }

    pub fn count(&self) -> u64 {
        self.0.iter().sum()
    }

    /// The bucket bound at quantile `q` (0..1); `None` when empty. The open last bucket
    /// reports the largest bound.
    pub fn quantile(&self, q: f64) -> Option<u64> {
        let total = self.count();
        if total == 0 {
            return None;
        }
        let rank = ((q * total as f64).ceil() as u64).clamp(1, total);
        let mut seen = 0;
        for (i, n) in self.0.iter().enumerate() {
            seen += n;
            if seen >= rank {
                return Some(*BOUNDS_MS.get(i).unwrap_or(&BOUNDS_MS[BOUNDS_MS.len() - 1]));
            }
        }
        None
    }

    /// `"0,3,1,..."`, the stored form.
    pub fn encode(&self) -> String {
        let parts: Vec<String> = self.0.iter().map(u64::to_string).collect();
        parts.join(",")
    }

    /// The stored form back; an empty or damaged value reads as empty buckets (a damaged
    /// rollup must not stop the stats page).
    pub fn decode(s: &str) -> Histogram {
        let mut h = Histogram::default();
        for (i, part) in s.split(',').enumerate().take(BUCKETS) {
            h.0[i] = part.trim().parse().unwrap_or(0);
        }
        h
    }
}

/// What one rollup row is about.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub struct RollupKey {
    pub hour: DateTime<Utc>,
    pub model: String,
    pub provider_id: i64,
    pub route_id: i64,
    pub client_key_id: i64,
}

/// The sums of one group.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct RollupValues {
    pub requests: u64,
    pub successes: u64,
    pub prompt_tokens: u64,
    pub completion_tokens: u64,
    pub cached_tokens: u64,
    pub cost: f64,
    pub latency_ms_sum: u64,
    pub latency: Histogram,
    pub ttft_count: u64,
    pub ttft_ms_sum: u64,
    pub ttft: Histogram,
}

impl RollupValues {
    pub fn add(&mut self, o: &RollupValues) {
        self.requests += o.requests;
        self.successes += o.successes;
        self.prompt_tokens += o.prompt_tokens;
        self.completion_tokens += o.completion_tokens;
        self.cached_tokens += o.cached_tokens;
        self.cost += o.cost;
        self.latency_ms_sum += o.latency_ms_sum;
        self.latency.add(&o.latency);
        self.ttft_count += o.ttft_count;
        self.ttft_ms_sum += o.ttft_ms_sum;
        self.ttft.add(&o.ttft);
    }

    fn observe(&mut self, r: &RequestRecord) {
        self.requests += 1;
        if r.succeeded() {
            self.successes += 1;
        }
        self.prompt_tokens += r.prompt_tokens.unwrap_or(0);
        self.completion_tokens += r.completion_tokens.unwrap_or(0);
        self.cached_tokens += r.cached_tokens.unwrap_or(0);
        self.cost += r.cost.unwrap_or(0.0);
        self.latency_ms_sum += r.latency_ms;
        self.latency.observe(r.latency_ms);
        if let Some(t) = r.ttft_ms {
            self.ttft_count += 1;
            self.ttft_ms_sum += t;
            self.ttft.observe(t);
        }
    }
}

/// The hour a time falls in.
pub fn hour_of(t: DateTime<Utc>) -> DateTime<Utc> {
    t.duration_trunc(TimeDelta::hours(1)).unwrap_or(t)
}

/// Groups a batch of records into rollup increments.
pub fn aggregate(records: &[RequestRecord]) -> HashMap<RollupKey, RollupValues> {
    // Grouped under borrowed keys first: a batch falls into a few groups, and an owned key per
    // record would copy (and free) a model name per row.
    type Key<'a> = (DateTime<Utc>, &'a str, i64, i64, i64);
    let mut groups: HashMap<Key<'_>, RollupValues> = HashMap::new();
    for r in records {
        let key = (
            hour_of(r.created_at),
            r.model_group.as_str(),
            r.provider_id.unwrap_or(0),
            r.route_id.unwrap_or(0),
            r.client_key_id.unwrap_or(0),
        );
        groups.entry(key).or_default().observe(r);
    }
    groups
        .into_iter()
        .map(|((hour, model, provider_id, route_id, client_key_id), v)| {
            let key = RollupKey {
                hour,
                model: model.to_string(),
                provider_id,
                route_id,
                client_key_id,
            };
            (key, v)
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quantiles_come_from_bucket_bounds() {
        let mut h = Histogram::default();
        for ms in [4, 4, 4, 40, 400] {
            h.observe(ms);
        }
        assert_eq!(h.quantile(0.5), Some(5));
        assert_eq!(h.quantile(0.8), Some(50));
        assert_eq!(h.quantile(0.95), Some(500));
        assert_eq!(Histogram::default().quantile(0.5), None);
        let mut big = Histogram::default();
        big.observe(1_000_000);
        assert_eq!(big.quantile(0.5), Some(120_000));
    }

    #[test]
    fn histograms_survive_their_stored_form_and_damage_reads_as_empty() {
        let mut h = Histogram::default();
        h.observe(12);
        h.observe(999_999);
        assert_eq!(Histogram::decode(&h.encode()), h);
        assert_eq!(Histogram::decode("garbage").count(), 0);
        assert_eq!(Histogram::decode("").count(), 0);
    }
}
