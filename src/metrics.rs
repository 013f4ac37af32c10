//! Prometheus metrics, one registry per server instance (tests run several).

use prometheus::{Encoder, Histogram, HistogramOpts, IntCounter, IntGauge, Registry, TextEncoder};

#[derive(Clone)]
pub struct Metrics {
    registry: Registry,
    pub connections: IntGauge,
    pub rooms: IntGauge,
    pub messages: IntCounter,
    pub deliveries: IntCounter,
    pub slow_consumers: IntCounter,
    /// From a message's arrival at its room to its last subscriber's outbox.
    pub fanout_seconds: Histogram,
}

impl Metrics {
    pub fn new() -> Self {
        let registry = Registry::new();
        let gauge = |name: &str, help: &str| {
            let g = IntGauge::new(name, help).expect("invariant: valid metric");
            registry
                .register(Box::new(g.clone()))
                .expect("invariant: unique metric");
            g
        };
        let counter = |name: &str, help: &str| {
            let c = IntCounter::new(name, help).expect("invariant: valid metric");
            registry
                .register(Box::new(c.clone()))
                .expect("invariant: unique metric");
            c
        };
        let connections = gauge("parlor_connections", "Open WebSocket connections");
        let rooms = gauge("parlor_rooms", "Live room actors");
        let messages = counter("parlor_messages_total", "Messages posted to rooms");
        let deliveries = counter(
            "parlor_deliveries_total",
            "Room events queued to subscribers",
        );
        let slow_consumers = counter(
            "parlor_slow_consumers_total",
            "Connections closed because their outbox overflowed",
        );
        let fanout_seconds = Histogram::with_opts(
            HistogramOpts::new(
                "parlor_message_fanout_seconds",
                "Time from a message's arrival at its room to its last subscriber's outbox",
            )
            .buckets(vec![
                0.00001, 0.00005, 0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05,
                0.1, 0.25, 1.0,
            ]),
        )
        .expect("invariant: valid metric");
        registry
            .register(Box::new(fanout_seconds.clone()))
            .expect("invariant: unique metric");
        Self {
            registry,
            connections,
            rooms,
            messages,
            deliveries,
            slow_consumers,
            fanout_seconds,
        }
    }

    pub fn render(&self) -> String {
        let mut buf = Vec::new();
        let _ = TextEncoder::new().encode(&self.registry.gather(), &mut buf);
        String::from_utf8(buf).unwrap_or_default()
    }
}

impl Default for Metrics {
    fn default() -> Self {
        Self::new()
    }
}
