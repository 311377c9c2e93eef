//! The per-destination circuit breaker: closed → open after N consecutive failed sends →
//! half-open after a cool-down, when one probe send decides between closed and open again.
//! While open the dispatcher leases nothing, so a down service is not hammered.

use std::fmt;
use std::time::Duration;

use junction_store::DeliveryId;

/// A breaker's state, exported as a metric.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum BreakerState {
    /// Sending normally.
    Closed,
    /// Not sending until the cool-down is over.
    Open,
    /// One probe send is allowed; its outcome closes or re-opens the breaker.
    HalfOpen,
}

impl BreakerState {
    /// `closed`, `open` or `half_open`.
    pub fn as_str(self) -> &'static str {
        match self {
            BreakerState::Closed => "closed",
            BreakerState::Open => "open",
            BreakerState::HalfOpen => "half_open",
        }
    }

    /// 0 closed, 1 half-open, 2 open: a gauge value.
    pub fn as_gauge(self) -> i64 {
        match self {
            BreakerState::Closed => 0,
            BreakerState::HalfOpen => 1,
            BreakerState::Open => 2,
        }
    }
}

impl fmt::Display for BreakerState {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

/// When a breaker opens and how long it stays open.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BreakerPolicy {
    /// Consecutive failed sends (retryable failures) that open it; `0` disables the breaker.
    pub failure_threshold: u32,
    /// How long it stays open before a probe.
    pub cool_down: Duration,
}

impl Default for BreakerPolicy {
    fn default() -> Self {
        BreakerPolicy {
            failure_threshold: 5,
            cool_down: Duration::from_secs(30),
        }
    }
}

/// What the breaker allows right now.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Allowance {
    /// Up to this many new sends (a half-open breaker allows one, as its probe).
    Send(usize),
    /// Nothing until this time, unix ms (`None`: until a send in flight finishes).
    Wait(Option<i64>),
}

/// One destination's breaker; owned by its dispatcher loop.
#[derive(Debug)]
pub(crate) struct Breaker {
    policy: BreakerPolicy,
    state: BreakerState,
    failures: u32,
    opened_at: i64,
    probe: Option<DeliveryId>,
}

impl Breaker {
    pub(crate) fn new(policy: BreakerPolicy) -> Breaker {
        Breaker {
            policy,
            state: BreakerState::Closed,
            failures: 0,
            opened_at: 0,
            probe: None,
        }
    }

    pub(crate) fn state(&self) -> BreakerState {
        self.state
    }

    fn reopen_at(&self) -> i64 {
        let ms = i64::try_from(self.policy.cool_down.as_millis()).unwrap_or(i64::MAX);
        self.opened_at.saturating_add(ms)
    }

    /// What may be sent at `now` with `free` send slots; may move open → half-open (returned
    /// as the second value when the state changed).
    pub(crate) fn allowance(&mut self, now: i64, free: usize) -> (Allowance, Option<BreakerState>) {
        let mut changed = None;
        if self.state == BreakerState::Open && now >= self.reopen_at() {
            self.state = BreakerState::HalfOpen;
            self.probe = None;
            changed = Some(BreakerState::HalfOpen);
        }
        let allowance = match self.state {
            BreakerState::Closed => Allowance::Send(free),
            BreakerState::Open => Allowance::Wait(Some(self.reopen_at())),
            BreakerState::HalfOpen if self.probe.is_none() => Allowance::Send(free.min(1)),
            BreakerState::HalfOpen => Allowance::Wait(None),
        };
        (allowance, changed)
    }

    /// Notes that `id` was handed out while half-open: it is the probe.
    pub(crate) fn sent(&mut self, id: DeliveryId) {
        if self.state == BreakerState::HalfOpen && self.probe.is_none() {
            self.probe = Some(id);
        }
    }

    /// Forgets a probe whose result can no longer arrive (nothing is in flight: its task
    /// failed outside the sink), so a half-open breaker can send another.
    pub(crate) fn idle(&mut self) {
        if self.state == BreakerState::HalfOpen {
            self.probe = None;
        }
    }

    /// Records a finished send (`ok`: the destination answered); returns the new state when
    /// it changed. Sends that were in flight when the breaker opened do not count.
    pub(crate) fn record(&mut self, id: DeliveryId, ok: bool, now: i64) -> Option<BreakerState> {
        if self.policy.failure_threshold == 0 {
            return None;
        }
        match self.state {
            BreakerState::Closed if ok => {
                self.failures = 0;
                None
            }
            BreakerState::Closed => {
                self.failures += 1;
                (self.failures >= self.policy.failure_threshold).then(|| self.open(now))
            }
            BreakerState::HalfOpen if self.probe == Some(id) => {
                self.probe = None;
                if ok {
                    self.failures = 0;
                    self.state = BreakerState::Closed;
                    Some(BreakerState::Closed)
                } else {
                    Some(self.open(now))
                }
            }
            BreakerState::HalfOpen | BreakerState::Open => None,
        }
    }

    fn open(&mut self, now: i64) -> BreakerState {
        self.state = BreakerState::Open;
        self.opened_at = now;
        self.probe = None;
        BreakerState::Open
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn closed_open_half_open_closed() {
        let policy = BreakerPolicy {
            failure_threshold: 3,
            cool_down: Duration::from_millis(1000),
        };
        let mut b = Breaker::new(policy);
        let id = DeliveryId;
        assert_eq!(b.allowance(0, 4), (Allowance::Send(4), None));
        assert_eq!(b.record(id(1), false, 10), None);
        assert_eq!(
            b.record(id(2), true, 11),
            None,
            "a success resets the count"
        );
        assert_eq!(b.record(id(3), false, 12), None);
        assert_eq!(b.record(id(4), false, 13), None);
        assert_eq!(b.record(id(5), false, 14), Some(BreakerState::Open));
        assert_eq!(
            b.record(id(6), true, 15),
            None,
            "in-flight results do not count"
        );
        assert_eq!(b.allowance(500, 4), (Allowance::Wait(Some(1014)), None));
        assert_eq!(
            b.allowance(1014, 4),
            (Allowance::Send(1), Some(BreakerState::HalfOpen))
        );
        b.sent(id(7));
        b.sent(id(8));
        assert_eq!(b.allowance(1015, 4), (Allowance::Wait(None), None));
        assert_eq!(b.record(id(8), true, 1016), None, "only the probe decides");
        b.idle();
        assert_eq!(
            b.allowance(1016, 4).0,
            Allowance::Send(1),
            "a lost probe is replaced"
        );
        b.sent(id(7));
        assert_eq!(b.record(id(7), false, 1017), Some(BreakerState::Open));
        assert_eq!(b.allowance(2017, 4).1, Some(BreakerState::HalfOpen));
        b.sent(id(9));
        assert_eq!(b.record(id(9), true, 2018), Some(BreakerState::Closed));
        assert_eq!(b.state(), BreakerState::Closed);
    }

    #[test]
    fn threshold_zero_never_opens() {
        let mut b = Breaker::new(BreakerPolicy {
            failure_threshold: 0,
            cool_down: Duration::ZERO,
        });
        for i in 0..100 {
            assert_eq!(b.record(DeliveryId(i), false, i), None);
        }
        assert_eq!(b.allowance(1000, 2).0, Allowance::Send(2));
    }
}
