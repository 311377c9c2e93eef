//! Retry policy: exponential backoff with full jitter, from a small deterministic RNG seeded
//! by the delivery id and attempt number, so a run (and a test) is reproducible and a herd of
//! deliveries failing together spreads out.

use std::time::Duration;

use junction_store::{DeliveryId, Outcome};

use super::SendOutcome;

/// How often and how patiently a destination is retried.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts in all (the first send included) before a delivery goes dead; at least 1.
    pub max_attempts: u32,
    /// The backoff ceiling after the first failure; it doubles per failure.
    pub initial_backoff: Duration,
    /// The largest backoff ceiling.
    pub max_backoff: Duration,
}

impl Default for RetryPolicy {
    fn default() -> Self {
        RetryPolicy {
            max_attempts: 10,
            initial_backoff: Duration::from_secs(1),
            max_backoff: Duration::from_secs(300),
        }
    }
}

impl RetryPolicy {
    /// The ceiling after `failures` failures (1-based): `initial * 2^(failures-1)`, capped.
    pub fn ceiling(&self, failures: u32) -> Duration {
        let factor = 1u32
            .checked_shl(failures.saturating_sub(1))
            .unwrap_or(u32::MAX);
        self.initial_backoff
            .saturating_mul(factor)
            .min(self.max_backoff)
    }

    /// The wait after `failures` failures of delivery `id`: uniform in `[0, ceiling]` (full
    /// jitter), the same every time for the same `(id, failures)`.
    pub fn backoff(&self, id: DeliveryId, failures: u32) -> Duration {
        let ceiling = u64::try_from(self.ceiling(failures).as_millis()).unwrap_or(u64::MAX);
        let seed = (id.0 as u64).wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ u64::from(failures);
        Duration::from_millis(splitmix64(seed) % ceiling.saturating_add(1))
    }

    /// The store outcome for a send of `id` that had `attempts` completed attempts before it,
    /// reported at `now` (unix ms).
    pub fn outcome(&self, id: DeliveryId, attempts: u32, send: SendOutcome, now: i64) -> Outcome {
        match send {
            SendOutcome::Delivered => Outcome::Delivered { at: now },
            SendOutcome::Permanent { error } => Outcome::Dead { at: now, error },
            SendOutcome::Retry { error, retry_after } => {
                let failures = attempts.saturating_add(1);
                if failures >= self.max_attempts.max(1) {
                    Outcome::Dead {
                        at: now,
                        error: format!("gave up after {failures} attempts: {error}"),
                    }
                } else {
                    let wait = self
                        .backoff(id, failures)
                        .max(retry_after.unwrap_or_default());
                    let wait = i64::try_from(wait.as_millis()).unwrap_or(i64::MAX);
                    Outcome::Retry {
                        at: now,
                        next_attempt_at: now.saturating_add(wait),
                        error,
                    }
                }
            }
        }
    }
}

/// SplitMix64: one step of a tiny, well-mixed 64-bit generator.
fn splitmix64(seed: u64) -> u64 {
    let mut z = seed.wrapping_add(0x9E37_79B9_7F4A_7C15);
    z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
    z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
    z ^ (z >> 31)
}

#[cfg(test)]
mod tests {
    use super::*;

    const POLICY: RetryPolicy = RetryPolicy {
        max_attempts: 4,
        initial_backoff: Duration::from_millis(100),
        max_backoff: Duration::from_millis(1000),
    };

    #[test]
    fn ceilings_double_then_cap() {
        let ms: Vec<u128> = (1..=6).map(|f| POLICY.ceiling(f).as_millis()).collect();
        assert_eq!(ms, [100, 200, 400, 800, 1000, 1000]);
        assert_eq!(POLICY.ceiling(200), POLICY.max_backoff);
    }

    #[test]
    fn jitter_is_full_deterministic_and_spread() {
        let mut seen = std::collections::HashSet::new();
        for id in 1..200 {
            let wait = POLICY.backoff(DeliveryId(id), 3);
            assert!(wait <= Duration::from_millis(400));
            assert_eq!(wait, POLICY.backoff(DeliveryId(id), 3));
            seen.insert(wait);
        }
        assert!(seen.len() > 100, "waits spread out: {}", seen.len());
        let low = (1..200)
            .filter(|id| POLICY.backoff(DeliveryId(*id), 3) < Duration::from_millis(200))
            .count();
        assert!(
            (60..140).contains(&low),
            "about half below the middle: {low}"
        );
    }

    #[test]
    fn retry_after_is_a_floor_under_the_backoff() {
        let asked = SendOutcome::Retry {
            error: "429".into(),
            retry_after: Some(Duration::from_secs(30)),
        };
        let Outcome::Retry {
            next_attempt_at, ..
        } = POLICY.outcome(DeliveryId(7), 0, asked, 1000)
        else {
            panic!("retry expected")
        };
        assert_eq!(
            next_attempt_at, 31_000,
            "30 s asked beats a ≤100 ms backoff"
        );
    }

    #[test]
    fn outcomes() {
        let id = DeliveryId(7);
        let retry = || SendOutcome::retry("503");
        assert_eq!(
            POLICY.outcome(id, 0, SendOutcome::Delivered, 5),
            Outcome::Delivered { at: 5 }
        );
        let Outcome::Retry {
            next_attempt_at,
            error,
            ..
        } = POLICY.outcome(id, 1, retry(), 1000)
        else {
            panic!("retry expected")
        };
        assert!((1000..=1200).contains(&next_attempt_at) && error == "503");
        assert_eq!(
            POLICY.outcome(id, 3, retry(), 9),
            Outcome::Dead {
                at: 9,
                error: "gave up after 4 attempts: 503".into()
            }
        );
        let permanent = SendOutcome::Permanent {
            error: "400".into(),
        };
        assert_eq!(
            POLICY.outcome(id, 0, permanent, 9),
            Outcome::Dead {
                at: 9,
                error: "400".into()
            }
        );
    }
}
