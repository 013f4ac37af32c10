//! Token bucket for frames that reach other people.

use std::time::Instant;

pub struct TokenBucket {
    tokens: f64,
    capacity: f64,
    per_sec: f64,
    last: Instant,
}

impl TokenBucket {
    pub fn new(burst: u32, per_sec: f64) -> Self {
        Self {
            tokens: f64::from(burst),
            capacity: f64::from(burst),
            per_sec,
            last: Instant::now(),
        }
    }

    /// Takes one token if there is one.
    pub fn take(&mut self) -> bool {
        let now = Instant::now();
        let refill = now.duration_since(self.last).as_secs_f64() * self.per_sec;
        self.tokens = (self.tokens + refill).min(self.capacity);
        self.last = now;
        if self.tokens >= 1.0 {
            self.tokens -= 1.0;
            true
        } else {
            false
        }
    }

    /// Seconds until the next token.
    pub fn wait_secs(&self) -> f64 {
        ((1.0 - self.tokens) / self.per_sec).max(0.0)
    }
}
