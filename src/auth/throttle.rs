//! Failed-login throttling: a 60 s sliding window per username (known or not)
//! and per client IP. Only failures are recorded; refused (429) attempts are not.

use std::collections::{HashMap, VecDeque};
use std::net::IpAddr;
use std::time::{Duration, Instant};

use parking_lot::Mutex;

use crate::error::ApiError;

const WINDOW: Duration = Duration::from_secs(60);

pub struct LoginThrottle {
    limit: usize,
    by_user: Mutex<HashMap<String, VecDeque<Instant>>>,
    by_ip: Mutex<HashMap<IpAddr, VecDeque<Instant>>>,
}

impl LoginThrottle {
    pub fn new(limit: u32) -> Self {
        Self {
            limit: limit as usize,
            by_user: Mutex::default(),
            by_ip: Mutex::default(),
        }
    }

    /// Err(429) while either window is full.
    pub fn check(&self, username: &str, ip: Option<IpAddr>) -> Result<(), ApiError> {
        let now = Instant::now();
        let user_wait = wait_time(
            &mut self.by_user.lock(),
            &username.to_ascii_lowercase(),
            self.limit,
            now,
        );
        let ip_wait = ip.and_then(|ip| wait_time(&mut self.by_ip.lock(), &ip, self.limit, now));
        match user_wait.max(ip_wait) {
            Some(retry_after) => Err(ApiError::RateLimited { retry_after }),
            None => Ok(()),
        }
    }

    pub fn record_failure(&self, username: &str, ip: Option<IpAddr>) {
        let now = Instant::now();
        record(&mut self.by_user.lock(), username.to_ascii_lowercase(), now);
        if let Some(ip) = ip {
            record(&mut self.by_ip.lock(), ip, now);
        }
    }
}

fn wait_time<K: std::hash::Hash + Eq>(
    map: &mut HashMap<K, VecDeque<Instant>>,
    key: &K,
    limit: usize,
    now: Instant,
) -> Option<Duration> {
    let window = map.get_mut(key)?;
    while window
        .front()
        .is_some_and(|t| now.duration_since(*t) >= WINDOW)
    {
        window.pop_front();
    }
    if window.is_empty() {
        map.remove(key);
        return None;
    }
    if window.len() < limit {
        return None;
    }
    // The attempt that would free a slot is the (len - limit + 1)-th oldest.
    let oldest = window[window.len() - limit];
    Some(WINDOW.saturating_sub(now.duration_since(oldest)))
}

fn record<K: std::hash::Hash + Eq>(map: &mut HashMap<K, VecDeque<Instant>>, key: K, now: Instant) {
    // Bound memory under a spray of usernames: drop stale windows now and then.
    if map.len() > 10_000 {
        map.retain(|_, w| w.back().is_some_and(|t| now.duration_since(*t) < WINDOW));
    }
    let window = map.entry(key).or_default();
    window.push_back(now);
}
