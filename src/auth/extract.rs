//! `AuthUser`: the caller of an `/api` route, from `Authorization: Bearer`.

use std::future::{Ready, ready};

use actix_web::{FromRequest, HttpRequest, dev::Payload, web};

use crate::domain::UserId;
use crate::error::ApiError;
use crate::state::AppState;

#[derive(Debug, Clone, Copy)]
pub struct AuthUser {
    pub id: UserId,
}

pub fn bearer_token(req: &HttpRequest) -> Option<&str> {
    let value = req.headers().get("Authorization")?.to_str().ok()?;
    let (scheme, token) = value.split_once(' ')?;
    scheme.eq_ignore_ascii_case("bearer").then(|| token.trim())
}

impl FromRequest for AuthUser {
    type Error = ApiError;
    type Future = Ready<Result<Self, Self::Error>>;

    fn from_request(req: &HttpRequest, _: &mut Payload) -> Self::Future {
        let Some(state) = req.app_data::<web::Data<AppState>>() else {
            return ready(Err(ApiError::internal("app state missing")));
        };
        ready(match bearer_token(req) {
            None => Err(ApiError::Unauthorized("missing bearer token")),
            Some(token) => state.verify_token(token).map(|id| AuthUser { id }),
        })
    }
}
