//! Operations: health and metrics.

use actix_web::{HttpResponse, web};

use crate::state::AppState;

/// `GET /healthz` → `ok`
pub async fn healthz() -> HttpResponse {
    HttpResponse::Ok().content_type("text/plain").body("ok")
}

/// `GET /metrics` → Prometheus text format.
pub async fn metrics(state: web::Data<AppState>) -> HttpResponse {
    HttpResponse::Ok()
        .content_type("text/plain; version=0.0.4")
        .body(state.metrics.render())
}
