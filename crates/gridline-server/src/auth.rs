//! Passwords, sessions and the signed-in user behind each request.
//!
//! A session token is 32 random bytes shown to the client once; the database keeps only its
//! SHA-256, so a copy of the database does not hand out sessions.
//!
//! The database is the only record of a session: every server of a deployment reads it there, so
//! a sign-out on one is seen by all. Each server remembers a session it has read for at most
//! [`SESSION_RECHECK`] (and at most [`MAX_CACHED_SESSIONS`] of them), so a busy client costs one
//! read per half second rather than one per request, and a sign-out elsewhere takes effect
//! within that half second.

use std::sync::Arc;

use axum::Json;
use gridline_app::passwords::password_matches;
use gridline_app::sign_in::SignInAttempt;
use std::net::{IpAddr, SocketAddr};

use axum::extract::{ConnectInfo, FromRequestParts, State};
use axum::http::request::Parts;
use axum::http::{HeaderMap, StatusCode, header};
use gridline_core::actor::{Actor, Role};
use gridline_core::ids::UnitCode;
use jiff::{SignedDuration, Timestamp};
use serde::{Deserialize, Serialize};
use sha2::{Digest, Sha256};

use crate::error::ApiError;
use crate::views::local_time;
use crate::{ApiJson, AppState};

/// How long a session lasts: a long working shift.
pub(crate) const SESSION_HOURS: i64 = 12;

/// How long a server trusts a session it has read from the database before reading it again.
pub(crate) const SESSION_RECHECK: std::time::Duration = std::time::Duration::from_millis(500);

/// Sessions remembered at most; beyond it, those read longer ago than [`SESSION_RECHECK`] go.
const MAX_CACHED_SESSIONS: usize = 10_000;
/// How long the answer refusing a locked-out sign-in waits (see [`sign_in`]).
const LOCKED_OUT_PAUSE: std::time::Duration = std::time::Duration::from_secs(1);

/// A session as read from the database, and when it was read.
pub(crate) struct CachedSession {
    session: SignedIn,
    read_at: std::time::Instant,
}

fn token_hash(token: &str) -> String {
    hex::encode(Sha256::digest(token.as_bytes()))
}

/// The signed-in user of a request.
#[derive(Clone, Debug)]
pub struct SignedIn {
    pub actor: Actor,
    pub display_name: String,
    pub expires_at: Timestamp,
    pub(crate) token_hash: String,
}

impl FromRequestParts<Arc<AppState>> for SignedIn {
    type Rejection = ApiError;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        state.signed_in(bearer_token(&parts.headers)?).await
    }
}

impl AppState {
    /// The live session of `token`, from the cache or the database.
    pub(crate) async fn signed_in(&self, token: &str) -> Result<SignedIn, ApiError> {
        let state = self;
        let hash = token_hash(token);
        let now = Timestamp::now();
        if let Some(cached) = state.sessions.read().expect("session cache").get(&hash)
            && cached.session.expires_at > now
            && cached.read_at.elapsed() < SESSION_RECHECK
        {
            return Ok(cached.session.clone());
        }
        let (user, expires_at) = state
            .store
            .people().session_user(&hash, now)
            .await?
            .ok_or_else(|| ApiError::Refused(gridline_core::Reason::new("session_expired")))?;
        let session = SignedIn {
            display_name: user.display_name.clone(),
            actor: user.actor(),
            expires_at,
            token_hash: hash.clone(),
        };
        let mut sessions = state.sessions.write().expect("session cache");
        if sessions.len() >= MAX_CACHED_SESSIONS {
            sessions.retain(|_, cached| cached.read_at.elapsed() < SESSION_RECHECK);
            if sessions.len() >= MAX_CACHED_SESSIONS {
                sessions.clear();
            }
        }
        sessions.insert(hash, CachedSession { session: session.clone(), read_at: std::time::Instant::now() });
        Ok(session)
    }
}

impl AppState {
    /// Forgets this server's cached sessions of `user_id` (but `keep`'s), whose rows were just
    /// deleted: a disabled user, or one whose password changed, is refused here at once (and by
    /// other servers within [`SESSION_RECHECK`]).
    pub(crate) fn forget_sessions_of_except(&self, user_id: i64, keep: &str) {
        self.sessions.write().expect("session cache").retain(|hash, cached| cached.session.actor.user_id != user_id || hash == keep);
    }

    pub(crate) fn forget_sessions_of(&self, user_id: i64) {
        self.forget_sessions_of_except(user_id, "");
    }
}

/// The client's address: the connection's, or, when the connection comes from one of the
/// configured reverse proxies ([`TrustedProxies`]), the address that proxy says it forwarded for.
/// Sign-in throttling counts failures by it, and `/metrics` admits by it.
pub struct PeerAddress(pub Option<String>);

impl FromRequestParts<Arc<AppState>> for PeerAddress {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        Ok(PeerAddress(peer.map(|peer| state.trusted_proxies.client(peer, &parts.headers).to_string())))
    }
}

/// Whether the browser reached the server over HTTPS: the server serves TLS itself, or the
/// connection comes from a trusted proxy ([`TrustedProxies`]) whose `X-Forwarded-Proto` says
/// `https`. The session cookie is then `Secure`.
pub struct OverHttps(pub bool);

impl FromRequestParts<Arc<AppState>> for OverHttps {
    type Rejection = std::convert::Infallible;

    async fn from_request_parts(parts: &mut Parts, state: &Arc<AppState>) -> Result<Self, Self::Rejection> {
        if state.tls.load(std::sync::atomic::Ordering::Relaxed) {
            return Ok(OverHttps(true));
        }
        let peer = parts.extensions.get::<ConnectInfo<SocketAddr>>().map(|info| info.0.ip());
        Ok(OverHttps(peer.is_some_and(|peer| state.trusted_proxies.forwarded_https(peer, &parts.headers))))
    }
}

/// The reverse proxies whose `X-Forwarded-For` is believed (`GRIDLINE_TRUSTED_PROXIES`: IP
/// addresses or networks such as `10.0.0.0/8`, comma-separated; none by default). From anyone
/// else the header is ignored, so a client cannot pick the address its failed sign-ins count
/// against.
#[derive(Debug, Default)]
pub struct TrustedProxies(Vec<ipnet::IpNet>);

impl TrustedProxies {
    pub const ENV: &'static str = "GRIDLINE_TRUSTED_PROXIES";

    /// The proxies of a comma-separated list of addresses and networks.
    pub fn parse(list: &str) -> Result<TrustedProxies, String> {
        list.split(',')
            .map(str::trim)
            .filter(|item| !item.is_empty())
            .map(|item| {
                item.parse::<ipnet::IpNet>()
                    .or_else(|_| item.parse::<IpAddr>().map(ipnet::IpNet::from))
                    .map_err(|_| format!("{}: {item:?} is not an IP address or network", Self::ENV))
            })
            .collect::<Result<_, _>>()
            .map(TrustedProxies)
    }

    /// The proxies named by `GRIDLINE_TRUSTED_PROXIES`.
    pub fn from_env() -> Result<TrustedProxies, String> {
        std::env::var(Self::ENV).map_or_else(|_| Ok(TrustedProxies::default()), |list| TrustedProxies::parse(&list))
    }

    fn trusts(&self, address: IpAddr) -> bool {
        let address = address.to_canonical();
        self.0.iter().any(|net| net.contains(&address))
    }

    /// Whether a trusted proxy at `peer` says the browser spoke HTTPS to it (the last
    /// `X-Forwarded-Proto`, the one that proxy set).
    pub fn forwarded_https(&self, peer: IpAddr, headers: &HeaderMap) -> bool {
        self.trusts(peer)
            && headers
                .get_all("x-forwarded-proto")
                .iter()
                .filter_map(|value| value.to_str().ok())
                .flat_map(|value| value.split(','))
                .next_back()
                .is_some_and(|proto| proto.trim().eq_ignore_ascii_case("https"))
    }

    /// The client behind a connection from `peer`: `peer` itself unless it is a trusted proxy;
    /// else the `X-Forwarded-For` chain read from the right (each proxy appends the address it
    /// received from), passing over trusted proxies, up to the first address that is not one. An
    /// entry that is not an address ends the walk at the last trusted hop before it.
    pub fn client(&self, peer: IpAddr, headers: &HeaderMap) -> IpAddr {
        let mut client = peer.to_canonical();
        if !self.trusts(client) {
            return client;
        }
        let hops: Vec<&str> = headers
            .get_all("x-forwarded-for")
            .iter()
            .filter_map(|value| value.to_str().ok())
            .flat_map(|value| value.split(','))
            .map(str::trim)
            .collect();
        for hop in hops.into_iter().rev() {
            match hop.parse::<IpAddr>() {
                Ok(address) => {
                    client = address.to_canonical();
                    if !self.trusts(client) {
                        break;
                    }
                }
                Err(_) => break,
            }
        }
        client
    }
}

pub(crate) fn bearer_token(headers: &HeaderMap) -> Result<&str, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(|| ApiError::Unauthorized("sign in first: send Authorization: Bearer TOKEN".into()))?;
    let value = value.to_str().map_err(|_| ApiError::Unauthorized("the Authorization header is not text".into()))?;
    match value.split_once(' ') {
        Some((scheme, token)) if scheme.eq_ignore_ascii_case("bearer") && !token.trim().is_empty() => Ok(token.trim()),
        _ => Err(ApiError::Unauthorized("the Authorization header must be: Bearer TOKEN".into())),
    }
}

#[derive(Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct Credentials {
    username: String,
    password: String,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct SessionView {
    pub(crate) token: String,
    expires_at: String,
    pub(crate) user: UserView,
}

#[derive(Serialize, utoipa::ToSchema)]
pub struct UserView {
    id: i64,
    username: String,
    display_name: String,
    pub(crate) role: Role,
    unit: Option<UnitCode>,
}

/// `POST /api/v1/session`: exchanges a username and password for a bearer token.
#[utoipa::path(post, path = "/session", tag = "session",
    request_body(content = Credentials, description = "`{\"username\": …, \"password\": …}`"),
    responses((status = 201, description = "the bearer token, when it expires, and who signed in", body = SessionView),
        (status = 401, description = "wrong username or password (`wrong_credentials`), or the right password of a disabled account (`account_disabled`)", body = crate::error::ErrorBody),
        (status = 429, description = "too many failed sign-ins of this account or from this address: locked out for a while (Retry-After) or until an administrator lifts it", body = crate::error::ErrorBody)))]
pub async fn sign_in(
    State(state): State<Arc<AppState>>,
    PeerAddress(address): PeerAddress,
    ApiJson(credentials): ApiJson<Credentials>,
) -> Result<(StatusCode, Json<SessionView>), ApiError> {
    if credentials.username.len() > 100 || credentials.password.len() > 1000 {
        return Err(ApiError::Refused(gridline_core::Reason::new("wrong_credentials")));
    }
    let address = address.as_deref();
    let now = Timestamp::now();
    // Each attempt is counted before its password is looked at, and a locked account or
    // address is refused unchecked: an attacker hammering one account costs a few database
    // statements, not an Argon2 hash, and no more hashes than the limit however many
    // connections it opens. The refusal waits a moment, so that one connection gets about one
    // answer a second.
    let counted = match state.begin_sign_in(&credentials.username, address, now).await? {
        SignInAttempt::Counted(counted) => counted,
        SignInAttempt::LockedUntil(until) => {
            tokio::time::sleep(LOCKED_OUT_PAUSE).await;
            return Err(ApiError::TooManyRequests {
                message: format!("too many failed sign-ins; try again after {} or ask an administrator to lift the lockout", local_time(until)),
                retry_after_seconds: until.duration_since(now).as_secs(),
            });
        }
    };
    let user = state.store.people().user_by_name(&credentials.username).await?;
    // Verify against a real hash even for an unknown user, so that timing does not reveal names.
    let hash = user.as_ref().map_or_else(|| state.decoy_hash.clone(), |u| u.password_hash.clone());
    let password = credentials.password;
    let matches = tokio::task::spawn_blocking(move || password_matches(&password, &hash))
        .await
        .map_err(|e| ApiError::Internal(e.to_string()))?;
    let user = match user {
        Some(user) if matches => user,
        _ => {
            tracing::warn!(user = %credentials.username, address, "failed sign-in");
            state.sign_in_failed(&credentials.username, address, &counted, now).await?;
            return Err(ApiError::Refused(gridline_core::Reason::new("wrong_credentials")));
        }
    };
    if user.disabled_at.is_some() {
        state.sign_in_of_disabled(&credentials.username, address, now).await?;
        return Err(ApiError::Refused(gridline_core::Reason::new("account_disabled")));
    }
    state.sign_in_succeeded(&credentials.username, address).await?;
    let token = hex::encode(rand::random::<[u8; 32]>());
    let expires_at = now + SignedDuration::from_hours(SESSION_HOURS);
    state.store.people().create_session(&token_hash(&token), user.id, now, expires_at).await?;
    tracing::info!(user = %user.username, role = user.role.as_str(), "signed in");
    Ok((
        StatusCode::CREATED,
        Json(SessionView {
            token,
            expires_at: local_time(expires_at),
            user: UserView {
                id: user.id,
                username: user.username,
                display_name: user.display_name,
                role: user.role,
                unit: user.unit,
            },
        }),
    ))
}

/// `DELETE /api/v1/session`: ends the session of the token sent.
#[utoipa::path(delete, path = "/session", tag = "session", security(("bearer" = [])),
    responses((status = 204, description = "signed out"), (status = 401, description = "no session")))]
pub async fn sign_out(State(state): State<Arc<AppState>>, who: SignedIn) -> Result<StatusCode, ApiError> {
    state.sessions.write().expect("session cache").remove(&who.token_hash);
    state.store.people().delete_session(&who.token_hash).await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /api/v1/me`: who the token belongs to.
#[utoipa::path(get, path = "/me", tag = "session", security(("bearer" = [])),
    responses((status = 200, description = "the signed-in user", body = UserView), (status = 401, description = "no session")))]
pub async fn me(who: SignedIn) -> Json<UserView> {
    Json(UserView {
        id: who.actor.user_id,
        username: who.actor.username,
        display_name: who.display_name,
        role: who.actor.role,
        unit: who.actor.unit,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn forwarded(values: &[&str]) -> HeaderMap {
        let mut headers = HeaderMap::new();
        for value in values {
            headers.append("x-forwarded-for", value.parse().expect("a header value"));
        }
        headers
    }

    fn ip(text: &str) -> IpAddr {
        text.parse().expect("an address")
    }

    #[test]
    fn forwarded_for_is_ignored_from_a_peer_that_is_not_a_trusted_proxy() {
        let proxies = TrustedProxies::parse("10.0.0.5").expect("a list");
        assert_eq!(proxies.client(ip("203.0.113.9"), &forwarded(&["198.51.100.1"])), ip("203.0.113.9"));
        assert_eq!(TrustedProxies::default().client(ip("10.0.0.5"), &forwarded(&["198.51.100.1"])), ip("10.0.0.5"));
    }

    #[test]
    fn a_trusted_proxy_names_the_client_and_a_forged_left_part_is_not_believed() {
        let proxies = TrustedProxies::parse(" 10.0.0.0/8 , 192.0.2.7,").expect("a list");
        // The client sent its own X-Forwarded-For (a forged 1.2.3.4); the proxy appended the
        // address it really received from.
        assert_eq!(proxies.client(ip("10.1.2.3"), &forwarded(&["1.2.3.4, 198.51.100.1"])), ip("198.51.100.1"));
        // Two trusted proxies in a row, over two header lines.
        assert_eq!(proxies.client(ip("10.1.2.3"), &forwarded(&["198.51.100.1, 192.0.2.7", "10.9.9.9"])), ip("198.51.100.1"));
        // No header: the proxy itself.
        assert_eq!(proxies.client(ip("10.1.2.3"), &HeaderMap::new()), ip("10.1.2.3"));
        // Garbage ends the walk at the last trusted hop.
        assert_eq!(proxies.client(ip("10.1.2.3"), &forwarded(&["198.51.100.1, not-an-address"])), ip("10.1.2.3"));
        // Every hop trusted: the leftmost.
        assert_eq!(proxies.client(ip("10.1.2.3"), &forwarded(&["10.4.4.4, 10.5.5.5"])), ip("10.4.4.4"));
        // An IPv4 client seen through an IPv6 socket is the IPv4 address.
        assert_eq!(proxies.client(ip("::ffff:10.1.2.3"), &forwarded(&["::ffff:198.51.100.1"])), ip("198.51.100.1"));
    }

    #[test]
    fn https_is_believed_only_from_a_trusted_proxy_and_its_own_forwarded_proto() {
        let proxies = TrustedProxies::parse("10.0.0.0/8").expect("a list");
        let proto = |values: &[&str]| {
            let mut headers = HeaderMap::new();
            for value in values {
                headers.append("x-forwarded-proto", value.parse().expect("a header value"));
            }
            headers
        };
        assert!(proxies.forwarded_https(ip("10.1.2.3"), &proto(&["https"])));
        assert!(!proxies.forwarded_https(ip("203.0.113.9"), &proto(&["https"])), "not from a proxy");
        assert!(!proxies.forwarded_https(ip("10.1.2.3"), &HeaderMap::new()));
        // The last value is the one the trusted proxy set; a client's own is further left.
        assert!(!proxies.forwarded_https(ip("10.1.2.3"), &proto(&["https, http"])));
        assert!(proxies.forwarded_https(ip("10.1.2.3"), &proto(&["http", "HTTPS"])));
    }

    #[test]
    fn a_trusted_proxy_list_names_what_it_cannot_read() {
        assert!(TrustedProxies::parse("10.0.0.0/8, ::1, 2001:db8::/32").is_ok());
        let err = TrustedProxies::parse("10.0.0.0/8, proxy.example").expect_err("a host name is not an address");
        assert!(err.contains("GRIDLINE_TRUSTED_PROXIES") && err.contains("proxy.example"), "{err}");
    }
}
