//! A circuit breaker per provider key and per provider, fed by live traffic and active probes.
//!
//! Closed: requests flow; the circuit opens after `failure_threshold` consecutive failures,
//! or when the error rate over `window` exceeds `error_rate` (once `min_requests` were seen).
//! Open: no traffic until the cooldown passes; each re-opening doubles the cooldown up to
//! `max_cooldown`, so one bad minute does not cost an hour and a dead upstream is not hammered.
//! Half-open: one probe request at a time; `half_open_successes` successes in a row close it,
//! one failure re-opens it. An active probe that succeeds ends an open circuit's rest early
//! (`probe_succeeded`). Nothing here disables anything for good.
//!
//! Time comes from the caller (`tokio::time::Instant`), so tests run it under paused time.
//!
//! The error rate is counted in [`SLICES`] time slices of `window / SLICES` each: constant
//! memory and time per outcome whatever the traffic, at the price of a window that ends up to
//! one slice early. (A deque of every outcome held rate × window entries — measured growing
//! by ~1.4 MiB/s per loaded target at 30k requests/s, up to ~60 MiB per minute-long window.)

use std::time::Duration;

use serde::Serialize;
use tokio::time::Instant;

#[derive(Debug, Clone, PartialEq)]
pub struct BreakerConfig {
    pub failure_threshold: u32,
    pub error_rate: f64,
    pub window: Duration,
    pub min_requests: u32,
    pub cooldown: Duration,
    pub max_cooldown: Duration,
    pub half_open_successes: u32,
}

impl Default for BreakerConfig {
    fn default() -> BreakerConfig {
        BreakerConfig {
            failure_threshold: 5,
            error_rate: 0.5,
            window: Duration::from_secs(60),
            min_requests: 20,
            cooldown: Duration::from_secs(30),
            max_cooldown: Duration::from_secs(600),
            half_open_successes: 2,
        }
    }
}

/// What operators see.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Health {
    /// Closed, and the recent traffic is clean.
    Healthy,
    /// Closed with recent failures, or half-open (being probed).
    Degraded,
    /// Open: getting no traffic.
    Unhealthy,
}

impl Health {
    pub fn as_str(self) -> &'static str {
        match self {
            Health::Healthy => "healthy",
            Health::Degraded => "degraded",
            Health::Unhealthy => "unhealthy",
        }
    }
}

/// The breaker's state without its details, to tell when a circuit opened or closed.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Phase {
    Closed,
    Open,
    HalfOpen,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum State {
    Closed,
    Open { until: Instant },
    HalfOpen { probing: bool, successes: u32 },
}

#[derive(Debug, Clone)]
pub struct Breaker {
    config: BreakerConfig,
    state: State,
    consecutive_failures: u32,
    /// Outcomes of the last `window`.
    recent: Window,
    /// How many times in a row it opened without fully recovering; drives the backoff.
    trips: u32,
}

/// Whether a request may go to this target now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Permit {
    Allowed,
    /// Allowed as the half-open probe; its outcome decides.
    Probe,
    Denied,
}

impl Breaker {
    pub fn new(config: BreakerConfig) -> Breaker {
        Breaker {
            config,
            state: State::Closed,
            consecutive_failures: 0,
            recent: Window::default(),
            trips: 0,
        }
    }

    /// Asks to send a request. A `Probe` must be followed by `record`.
    pub fn permit(&mut self, now: Instant) -> Permit {
        match self.state {
            State::Closed => Permit::Allowed,
            State::Open { until } if now >= until => {
                self.state = State::HalfOpen {
                    probing: true,
                    successes: 0,
                };
                Permit::Probe
            }
            State::Open { .. } => Permit::Denied,
            State::HalfOpen {
                probing: false,
                successes,
            } => {
                self.state = State::HalfOpen {
                    probing: true,
                    successes,
                };
                Permit::Probe
            }
            State::HalfOpen { probing: true, .. } => Permit::Denied,
        }
    }

    /// Whether a request would be allowed, without taking the probe slot (for filtering).
    pub fn is_available(&self, now: Instant) -> bool {
        match self.state {
            State::Closed => true,
            State::Open { until } => now >= until,
            State::HalfOpen { probing, .. } => !probing,
        }
    }

    pub fn record(&mut self, now: Instant, ok: bool) {
        self.recent.add(now, ok, self.config.window);
        match self.state {
            State::Closed => {
                if ok {
                    self.consecutive_failures = 0;
                    return;
                }
                self.consecutive_failures += 1;
                if self.consecutive_failures >= self.config.failure_threshold
                    || self.rate_exceeded(now)
                {
                    self.open(now);
                }
            }
            State::HalfOpen { successes, .. } => {
                if !ok {
                    self.open(now);
                    return;
                }
                let successes = successes + 1;
                if successes >= self.config.half_open_successes {
                    self.close();
                } else {
                    self.state = State::HalfOpen {
                        probing: false,
                        successes,
                    };
                }
            }
            // A late answer from before the circuit opened changes nothing.
            State::Open { .. } => {}
        }
    }

    /// Opens the circuit now for at least `rest`, whatever its state: a key the upstream
    /// rejected (401/403) or asked to back off (`Retry-After`). An open circuit keeps the later
    /// of its two deadlines. Does not count as a trip (no cooldown doubling).
    pub fn force_open(&mut self, now: Instant, rest: Duration) {
        if rest.is_zero() {
            return; // `Retry-After: 0`: no rest asked for
        }
        let until = now + rest;
        let until = match self.state {
            State::Open { until: current } => current.max(until),
            _ => until,
        };
        self.state = State::Open { until };
    }

    /// Gives back a probe slot taken by `permit` whose request never got an answer (cancelled
    /// by the client): the next request may probe instead.
    pub fn release_probe(&mut self) {
        if let State::HalfOpen {
            probing: true,
            successes,
        } = self.state
        {
            self.state = State::HalfOpen {
                probing: false,
                successes,
            };
        }
    }

    /// An active probe of this target succeeded. An open circuit does not wait out its
    /// cooldown: it goes half-open with the probe as its first success (closed at once when
    /// one success is enough), so a fixed key or a recovered upstream takes traffic again
    /// without waiting for it, and the next success closes it. Half-open or closed: one more
    /// success, as `record` counts it.
    pub fn probe_succeeded(&mut self, now: Instant) {
        if let State::Open { .. } = self.state {
            self.state = State::HalfOpen {
                probing: false,
                successes: 0,
            };
        }
        self.record(now, true);
    }

    /// Closes the circuit now: another instance saw it recover.
    pub fn close(&mut self) {
        self.state = State::Closed;
        self.consecutive_failures = 0;
        self.trips = 0;
        self.recent = Window::default();
    }

    /// Opens the circuit until `until` as a previous run of this process left it (read back
    /// from the database at start). Counts as one trip, so failing its first probe doubles
    /// the cooldown as it would have.
    pub fn restore_open(&mut self, until: Instant, consecutive_failures: u32) {
        self.state = State::Open { until };
        self.consecutive_failures = consecutive_failures;
        self.trips = self.trips.max(1);
    }

    pub fn phase(&self) -> Phase {
        match self.state {
            State::Closed => Phase::Closed,
            State::Open { .. } => Phase::Open,
            State::HalfOpen { .. } => Phase::HalfOpen,
        }
    }

    pub fn health(&self, now: Instant) -> Health {
        match self.state {
            State::Open { until } if now < until => Health::Unhealthy,
            State::Open { .. } | State::HalfOpen { .. } => Health::Degraded,
            State::Closed => {
                let recent_failure = self
                    .recent
                    .last_failure
                    .is_some_and(|t| now.saturating_duration_since(t) < self.config.window);
                if recent_failure {
                    Health::Degraded
                } else {
                    Health::Healthy
                }
            }
        }
    }

    pub fn consecutive_failures(&self) -> u32 {
        self.consecutive_failures
    }

    /// When an open circuit lets the next probe through.
    pub fn open_until(&self) -> Option<Instant> {
        match self.state {
            State::Open { until } => Some(until),
            _ => None,
        }
    }

    fn open(&mut self, now: Instant) {
        let factor = 1u32 << self.trips.min(16);
        let cooldown = self
            .config
            .cooldown
            .saturating_mul(factor)
            .min(self.config.max_cooldown);
        self.trips += 1;
        self.state = State::Open {
            until: now + cooldown,
        };
    }

    fn rate_exceeded(&self, now: Instant) -> bool {
        let (ok, failed) = self.recent.totals(now, self.config.window);
        let total = ok + failed;
        if total < u64::from(self.config.min_requests) {
            return false;
        }
        failed as f64 / total as f64 > self.config.error_rate
    }
}

/// Time slices per window.
pub const SLICES: u64 = 12;

/// Outcome counts in `SLICES` slices of `window / SLICES`, a ring indexed by slice number
/// (time since the first outcome / slice width); a slot whose number is stale is reset on use
/// and ignored in totals.
#[derive(Debug, Clone, Default)]
struct Window {
    epoch: Option<Instant>,
    slices: [Slice; SLICES as usize],
    last_failure: Option<Instant>,
}

#[derive(Debug, Clone, Copy, Default)]
struct Slice {
    number: u64,
    ok: u64,
    failed: u64,
}

impl Window {
    fn slice_number(&self, now: Instant, window: Duration) -> u64 {
        let epoch = self.epoch.unwrap_or(now);
        let width = (window / SLICES as u32).max(Duration::from_millis(1));
        (now.saturating_duration_since(epoch).as_nanos() / width.as_nanos()) as u64
    }

    fn add(&mut self, now: Instant, ok: bool, window: Duration) {
        self.epoch.get_or_insert(now);
        let n = self.slice_number(now, window);
        let slot = &mut self.slices[(n % SLICES) as usize];
        if slot.number != n {
            *slot = Slice {
                number: n,
                ok: 0,
                failed: 0,
            };
        }
        if ok {
            slot.ok += 1;
        } else {
            slot.failed += 1;
            self.last_failure = Some(now);
        }
    }

    /// (ok, failed) over the slices of the last window.
    fn totals(&self, now: Instant, window: Duration) -> (u64, u64) {
        let n = self.slice_number(now, window);
        self.slices
            .iter()
            .filter(|s| s.number <= n && n - s.number < SLICES)
            .fold((0, 0), |(ok, failed), s| (ok + s.ok, failed + s.failed))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn cfg() -> BreakerConfig {
        BreakerConfig {
            failure_threshold: 3,
            error_rate: 0.5,
            window: Duration::from_secs(60),
            min_requests: 10,
            cooldown: Duration::from_secs(10),
            max_cooldown: Duration::from_secs(40),
            half_open_successes: 2,
        }
    }

    #[tokio::test(start_paused = true)]
    async fn opens_after_consecutive_failures_then_half_opens_and_closes() {
        let mut b = Breaker::new(cfg());
        let t = Instant::now();
        for _ in 0..3 {
            assert_eq!(b.permit(t), Permit::Allowed);
            b.record(t, false);
        }
        assert_eq!(b.health(t), Health::Unhealthy);
        assert_eq!(b.permit(t), Permit::Denied);

        tokio::time::advance(Duration::from_secs(10)).await;
        let t = Instant::now();
        assert_eq!(b.permit(t), Permit::Probe);
        assert_eq!(b.permit(t), Permit::Denied, "one probe at a time");
        b.record(t, true);
        assert_eq!(b.health(t), Health::Degraded);
        assert_eq!(b.permit(t), Permit::Probe);
        b.record(t, true);
        assert_eq!(b.permit(t), Permit::Allowed);
        assert_eq!(b.health(t), Health::Healthy);
    }

    #[tokio::test(start_paused = true)]
    async fn a_failed_probe_reopens_with_a_longer_cooldown_up_to_the_cap() {
        let mut b = Breaker::new(cfg());
        let mut t = Instant::now();
        for _ in 0..3 {
            b.record(t, false);
        }
        let mut cooldowns = Vec::new();
        for _ in 0..4 {
            let until = b.open_until().unwrap();
            cooldowns.push(until - t);
            tokio::time::advance(until - t).await;
            t = Instant::now();
            assert_eq!(b.permit(t), Permit::Probe);
            b.record(t, false);
        }
        assert_eq!(
            cooldowns,
            [10, 20, 40, 40].map(Duration::from_secs),
            "doubling, capped at max_cooldown"
        );
    }

    #[tokio::test(start_paused = true)]
    async fn an_error_rate_over_the_window_opens_even_without_a_streak() {
        let mut b = Breaker::new(cfg());
        let t = Instant::now();
        // fail, ok, fail, ok ... never 3 in a row, but 60% failures over 10 requests.
        for i in 0..10 {
            b.record(t, !(i % 5 == 0 || i % 5 == 2 || i % 5 == 4));
        }
        assert_eq!(b.health(t), Health::Unhealthy);
    }

    #[tokio::test(start_paused = true)]
    async fn forced_opening_keeps_the_later_deadline_and_a_released_probe_frees_the_slot() {
        let mut b = Breaker::new(cfg());
        let t = Instant::now();
        b.force_open(t, Duration::from_secs(5));
        assert_eq!(b.permit(t), Permit::Denied);
        b.force_open(t, Duration::from_secs(2));
        assert_eq!(b.open_until(), Some(t + Duration::from_secs(5)));
        tokio::time::advance(Duration::from_secs(5)).await;
        let t = Instant::now();
        assert_eq!(b.permit(t), Permit::Probe);
        assert_eq!(b.permit(t), Permit::Denied);
        b.release_probe();
        assert_eq!(b.permit(t), Permit::Probe, "the slot is free again");
    }

    #[tokio::test(start_paused = true)]
    async fn the_error_rate_counts_every_slice_of_the_window_and_only_those() {
        let mut b = Breaker::new(BreakerConfig {
            failure_threshold: 1000,
            min_requests: 20,
            ..cfg()
        });
        let t = Instant::now();
        for _ in 0..10 {
            b.record(t, false);
        }
        tokio::time::advance(Duration::from_secs(30)).await;
        let t = Instant::now();
        for _ in 0..10 {
            b.record(t, true);
        }
        assert_eq!(b.phase(), Phase::Closed, "10 of 20 failed: not over 50%");
        b.record(t, false);
        assert_eq!(b.phase(), Phase::Open, "11 of 21 failed, 30 s apart");

        // Failures a window ago no longer count: 9 then, 5 successes and 1 failure now would
        // be 10 of 15 (over 50%, over min_requests) if they did.
        let mut b = Breaker::new(BreakerConfig {
            failure_threshold: 1000,
            ..cfg()
        });
        let t = Instant::now();
        for _ in 0..9 {
            b.record(t, false);
        }
        tokio::time::advance(Duration::from_secs(61)).await;
        let t = Instant::now();
        for _ in 0..5 {
            b.record(t, true);
        }
        b.record(t, false);
        assert_eq!(b.phase(), Phase::Closed, "1 of 6 in the window");
        // A million outcomes are counts in the fixed array, nothing per outcome.
        for _ in 0..1_000_000 {
            b.record(t, true);
        }
        assert_eq!(b.recent.totals(t, Duration::from_secs(60)), (1_000_005, 1));
    }

    #[tokio::test(start_paused = true)]
    async fn old_failures_age_out_of_the_window() {
        let mut b = Breaker::new(cfg());
        let t = Instant::now();
        b.record(t, false);
        assert_eq!(b.health(t), Health::Degraded);
        tokio::time::advance(Duration::from_secs(61)).await;
        let t = Instant::now();
        b.record(t, true);
        assert_eq!(b.health(t), Health::Healthy);
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_success_ends_an_open_circuit_early_and_the_next_success_closes_it() {
        let mut b = Breaker::new(cfg());
        let t = Instant::now();
        b.force_open(t, Duration::from_secs(3600));
        assert_eq!(b.health(t), Health::Unhealthy);
        tokio::time::advance(Duration::from_secs(1)).await;
        let t = Instant::now();
        b.probe_succeeded(t);
        assert_eq!(b.phase(), Phase::HalfOpen, "no waiting out the hour");
        assert_eq!(b.health(t), Health::Degraded);
        assert_eq!(b.permit(t), Permit::Probe, "traffic may test it again");
        b.release_probe();
        b.probe_succeeded(t);
        assert_eq!(b.phase(), Phase::Closed);
        assert_eq!(b.health(t), Health::Healthy);

        // One success is enough when so configured.
        let mut b = Breaker::new(BreakerConfig {
            half_open_successes: 1,
            ..cfg()
        });
        for _ in 0..3 {
            b.record(t, false);
        }
        assert_eq!(b.phase(), Phase::Open);
        b.probe_succeeded(t);
        assert_eq!(b.phase(), Phase::Closed);
        assert_eq!(b.consecutive_failures(), 0);
    }

    #[tokio::test(start_paused = true)]
    async fn a_probe_success_on_a_closed_circuit_is_an_ordinary_success() {
        let mut b = Breaker::new(cfg());
        let t = Instant::now();
        b.record(t, false);
        b.record(t, false);
        b.probe_succeeded(t);
        assert_eq!(b.consecutive_failures(), 0);
        assert_eq!(b.phase(), Phase::Closed);
    }

    #[tokio::test(start_paused = true)]
    async fn a_restored_open_circuit_waits_until_its_deadline_and_backs_off_on_a_failed_probe() {
        let mut b = Breaker::new(cfg());
        let t = Instant::now();
        b.restore_open(t + Duration::from_secs(5), 7);
        assert_eq!(b.health(t), Health::Unhealthy);
        assert_eq!(b.consecutive_failures(), 7);
        assert_eq!(b.permit(t), Permit::Denied);
        tokio::time::advance(Duration::from_secs(5)).await;
        let t = Instant::now();
        assert_eq!(b.permit(t), Permit::Probe);
        b.record(t, false);
        assert_eq!(
            b.open_until(),
            Some(t + Duration::from_secs(20)),
            "a second trip: twice the base cooldown"
        );
        b.close();
        assert_eq!(b.phase(), Phase::Closed);
        assert_eq!(b.health(t), Health::Healthy);
    }
}
