//! Authentication: Argon2id passwords, HS256 access tokens, opaque rotating
//! refresh tokens, the bearer-token extractor, and failed-login throttling.

pub mod extract;
pub mod jwt;
pub mod password;
pub mod refresh;
pub mod throttle;

pub use extract::AuthUser;
pub use jwt::JwtKeys;
