//! The web client: static files from `web/` at the repository's top level,
//! embedded in the binary at compile time, served at `/` (the page) and
//! `/assets/{file}` (scripts, styles, icons).
//!
//! Caching: every response carries a strong `ETag` (a hash of the file) and
//! `Cache-Control: no-cache`, so browsers keep a copy but revalidate it on
//! each load and get a cheap `304` when nothing changed. The file names carry
//! no version, so this is what keeps a browser from mixing the scripts of two
//! releases after an upgrade.
//!
//! The page gets a strict Content-Security-Policy: scripts and styles only
//! from this origin (no inline code at all), connections only to this origin
//! and its WebSocket, no plugins, no framing.

use std::sync::LazyLock;

use actix_web::http::header::{self, HeaderValue};
use actix_web::{HttpRequest, HttpResponse, web};
use sha2::{Digest, Sha256};

use crate::error::ApiError;

/// The policy sent with the page.
pub const CONTENT_SECURITY_POLICY: &str = "default-src 'self'; script-src 'self'; \
     style-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; \
     object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'self'";

struct Asset {
    name: &'static str,
    body: &'static [u8],
    content_type: &'static str,
}

macro_rules! asset {
    ($name:literal, $content_type:expr) => {
        Asset {
            name: $name,
            body: include_bytes!(concat!(env!("CARGO_MANIFEST_DIR"), "/web/", $name)),
            content_type: $content_type,
        }
    };
}

const JS: &str = "text/javascript; charset=utf-8";

/// Every file under `web/` (a test checks that none is forgotten).
const ASSETS: &[Asset] = &[
    asset!("index.html", "text/html; charset=utf-8"),
    asset!("style.css", "text/css; charset=utf-8"),
    asset!("icon.svg", "image/svg+xml"),
    asset!("app.js", JS),
    asset!("actions.js", JS),
    asset!("api.js", JS),
    asset!("app-dialogs.js", JS),
    asset!("browse.js", JS),
    asset!("chat.js", JS),
    asset!("dialogs.js", JS),
    asset!("dom.js", JS),
    asset!("manage.js", JS),
    asset!("sidebar.js", JS),
    asset!("socket.js", JS),
    asset!("state.js", JS),
];

/// `"<sha256 prefix>"` per asset, computed once.
static ETAGS: LazyLock<Vec<String>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| format!("\"{}\"", hex::encode(&Sha256::digest(a.body)[..12])))
        .collect()
});

/// Mounts `/`, `/index.html` and `/assets/{file}`.
pub fn routes(cfg: &mut web::ServiceConfig) {
    cfg.service(
        web::resource(["/", "/index.html"])
            .route(web::get().to(index))
            .route(web::head().to(index)),
    )
    .service(
        web::resource("/assets/{file}")
            .route(web::get().to(asset))
            .route(web::head().to(asset)),
    )
    .service(
        web::resource("/favicon.ico")
            .route(web::get().to(favicon))
            .route(web::head().to(favicon)),
    );
}

async fn index(req: HttpRequest) -> HttpResponse {
    serve(&req, "index.html").expect("invariant: index.html is embedded")
}

async fn favicon(req: HttpRequest) -> HttpResponse {
    serve(&req, "icon.svg").expect("invariant: icon.svg is embedded")
}

async fn asset(req: HttpRequest, file: web::Path<String>) -> Result<HttpResponse, ApiError> {
    let file = file.into_inner();
    // The page itself is only served at `/`, with its policy.
    if file == "index.html" {
        return Err(ApiError::NotFound("asset"));
    }
    serve(&req, &file).ok_or(ApiError::NotFound("asset"))
}

fn serve(req: &HttpRequest, name: &str) -> Option<HttpResponse> {
    let i = ASSETS.iter().position(|a| a.name == name)?;
    let a = &ASSETS[i];
    let etag = ETAGS[i].as_str();
    let fresh = req
        .headers()
        .get(header::IF_NONE_MATCH)
        .and_then(|v| v.to_str().ok())
        .is_some_and(|v| v.split(',').any(|t| t.trim() == etag || t.trim() == "*"));
    let mut res = if fresh {
        HttpResponse::NotModified()
    } else {
        HttpResponse::Ok()
    };
    res.insert_header((header::ETAG, etag))
        .insert_header((header::CACHE_CONTROL, "no-cache"))
        .insert_header((header::X_CONTENT_TYPE_OPTIONS, "nosniff"))
        .insert_header((header::REFERRER_POLICY, "no-referrer"));
    if a.name == "index.html" {
        res.insert_header((
            header::CONTENT_SECURITY_POLICY,
            HeaderValue::from_static(CONTENT_SECURITY_POLICY),
        ))
        .insert_header((header::X_FRAME_OPTIONS, "DENY"));
    }
    Some(if fresh {
        res.finish()
    } else {
        res.content_type(a.content_type).body(a.body)
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use actix_web::{App, test as http};

    #[test]
    fn every_file_in_web_is_embedded() {
        let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/web");
        for entry in std::fs::read_dir(dir).unwrap() {
            let name = entry.unwrap().file_name().into_string().unwrap();
            assert!(
                ASSETS.iter().any(|a| a.name == name),
                "web/{name} is not listed in src/web/mod.rs"
            );
        }
    }

    #[test]
    fn the_page_has_no_inline_code() {
        let page = std::str::from_utf8(ASSETS[0].body).unwrap();
        assert!(!page.contains("<script>"), "inline script in index.html");
        assert!(!page.contains("style="), "inline style in index.html");
        assert!(!page.contains("<style"), "inline style in index.html");
    }

    #[actix_web::test]
    async fn serves_the_page_with_its_policy_and_revalidates() {
        let app = http::init_service(App::new().configure(routes)).await;
        let res = http::call_service(&app, http::TestRequest::get().uri("/").to_request()).await;
        assert_eq!(res.status(), 200);
        let h = res.headers();
        assert_eq!(h.get("content-type").unwrap(), "text/html; charset=utf-8");
        let csp = h.get("content-security-policy").unwrap().to_str().unwrap();
        assert!(csp.contains("script-src 'self';"));
        assert!(csp.contains("frame-ancestors 'none'"));
        let etag = h.get("etag").unwrap().clone();

        let res = http::call_service(
            &app,
            http::TestRequest::get()
                .uri("/")
                .insert_header(("if-none-match", etag))
                .to_request(),
        )
        .await;
        assert_eq!(res.status(), 304);

        let res = http::call_service(
            &app,
            http::TestRequest::get().uri("/assets/app.js").to_request(),
        )
        .await;
        assert_eq!(res.status(), 200);
        assert_eq!(
            res.headers().get("content-type").unwrap(),
            "text/javascript; charset=utf-8"
        );
        assert_eq!(res.headers().get("cache-control").unwrap(), "no-cache");

        let res = http::call_service(
            &app,
            http::TestRequest::get().uri("/assets/nope.js").to_request(),
        )
        .await;
        assert_eq!(res.status(), 404);
    }
}
