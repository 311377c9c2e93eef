//! A per-service token bucket: `per_second` tokens arrive each second up to `burst`; a request
//! takes one, waiting for it when the bucket is empty. Waiters are served roughly in order
//! (each reserves its token under the lock, then sleeps until it is due).

use std::time::Duration;

use tokio::sync::Mutex;
use tokio::time::Instant;

/// A rate limit from config.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct RateLimit {
    /// Sustained requests per second (> 0).
    pub per_second: f64,
    /// Requests allowed at once after a quiet spell (≥ 1).
    pub burst: u32,
}

/// The bucket.
pub struct TokenBucket {
    limit: RateLimit,
    state: Mutex<State>,
}

struct State {
    /// Tokens available at `at`; negative when waiters have reserved future tokens.
    tokens: f64,
    at: Instant,
}

impl TokenBucket {
    /// A full bucket.
    pub fn new(limit: RateLimit) -> Self {
        let limit = RateLimit {
            per_second: limit.per_second.max(f64::MIN_POSITIVE),
            burst: limit.burst.max(1),
        };
        Self {
            limit,
            state: Mutex::new(State {
                tokens: f64::from(limit.burst),
                at: Instant::now(),
            }),
        }
    }

    /// Takes one token, waiting until it is available.
    pub async fn acquire(&self) {
        let wait = {
            let mut s = self.state.lock().await;
            let now = Instant::now();
            let refill = now.duration_since(s.at).as_secs_f64() * self.limit.per_second;
            s.tokens = (s.tokens + refill).min(f64::from(self.limit.burst)) - 1.0;
            s.at = now;
            if s.tokens >= 0.0 {
                Duration::ZERO
            } else {
                Duration::from_secs_f64(-s.tokens / self.limit.per_second)
            }
        };
        if !wait.is_zero() {
            tokio::time::sleep(wait).await;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test(start_paused = true)]
    async fn bursts_then_paces() {
        let bucket = TokenBucket::new(RateLimit {
            per_second: 10.0,
            burst: 3,
        });
        let start = Instant::now();
        for _ in 0..3 {
            bucket.acquire().await;
        }
        assert_eq!(start.elapsed(), Duration::ZERO, "the burst is free");
        for _ in 0..5 {
            bucket.acquire().await;
        }
        let took = start.elapsed();
        assert!(
            took >= Duration::from_millis(499) && took <= Duration::from_millis(510),
            "five more at 10/s take 0.5 s: {took:?}"
        );
    }
}
