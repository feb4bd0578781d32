//! For administrators: the sign-in lockouts in force and their lifting, and the audit log.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gridline_core::actor::Role;
use gridline_store::{AuditEntry, SignInLock, SignInSubject};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::auth::SignedIn;
use crate::error::{ApiError, ErrorBody};
use crate::views::{Items, local_time};

fn admin_only(who: &SignedIn) -> Result<(), ApiError> {
    if who.actor.role == Role::Admin {
        Ok(())
    } else {
        Err(ApiError::Forbidden("sign-in lockouts and the audit log are for administrators".into()))
    }
}

/// A subject locked out of signing in.
#[derive(Serialize, ToSchema)]
pub struct SignInLockView {
    /// `account:NAME` or `address:IP`: what `DELETE /sign-in-locks/{subject}` takes.
    subject: String,
    failures: i64,
    locked_until: Option<String>,
}

impl From<SignInLock> for SignInLockView {
    fn from(lock: SignInLock) -> Self {
        SignInLockView { subject: lock.subject.key(), failures: lock.failures, locked_until: lock.locked_until.map(local_time) }
    }
}

/// `GET /api/v1/sign-in-locks`: the accounts and addresses locked out now.
#[utoipa::path(get, path = "/sign-in-locks", tag = "session", security(("bearer" = [])),
    responses((status = 200, description = "the lockouts in force, the latest first", body = Items<SignInLockView>),
        (status = 403, description = "not an administrator", body = ErrorBody)))]
pub async fn locks(State(state): State<Arc<AppState>>, who: SignedIn) -> Result<Json<Items<SignInLockView>>, ApiError> {
    admin_only(&who)?;
    let items = state.sign_in_locks(Timestamp::now()).await?.into_iter().map(SignInLockView::from).collect();
    Ok(Json(Items { items }))
}

/// `DELETE /api/v1/sign-in-locks/{subject}`: lifts a lockout and forgets the failures behind it.
#[utoipa::path(delete, path = "/sign-in-locks/{subject}", tag = "session", security(("bearer" = [])),
    params(("subject" = String, Path, description = "`account:NAME` or `address:IP`")),
    responses((status = 204, description = "lifted; written to the audit log"),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 404, description = "no failures or lockout of that subject", body = ErrorBody),
        (status = 422, description = "not `account:NAME` or `address:IP`", body = ErrorBody)))]
pub async fn lift(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    subject: Result<Path<String>, PathRejection>,
) -> Result<StatusCode, ApiError> {
    admin_only(&who)?;
    let Path(subject) = subject?;
    let subject =
        SignInSubject::parse(&subject).ok_or_else(|| ApiError::invalid("subject", "a subject is account:NAME or address:IP"))?;
    state.lift_sign_in_lock(&subject, &who.actor.username, Timestamp::now()).await?;
    Ok(StatusCode::NO_CONTENT)
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
pub struct AuditQuery {
    /// How many of the latest entries (1–1000, default 200).
    limit: Option<i64>,
}

/// One line of the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    id: i64,
    at: String,
    /// `sign_in_failed`, `sign_in_locked` or `lock_lifted`.
    kind: String,
    username: Option<String>,
    address: Option<String>,
    actor: Option<String>,
    detail: String,
}

impl From<AuditEntry> for AuditEntryView {
    fn from(entry: AuditEntry) -> Self {
        AuditEntryView {
            id: entry.id,
            at: local_time(entry.at),
            kind: entry.kind,
            username: entry.username,
            address: entry.address,
            actor: entry.actor,
            detail: entry.detail,
        }
    }
}

/// `GET /api/v1/audit`: the latest entries of the audit log (failed sign-ins, lockouts, liftings).
#[utoipa::path(get, path = "/audit", tag = "session", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, description = "the newest first", body = Items<AuditEntryView>),
        (status = 400, description = "an unknown or malformed query parameter", body = ErrorBody),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 422, description = "limit out of range", body = ErrorBody)))]
pub async fn audit(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Items<AuditEntryView>>, ApiError> {
    admin_only(&who)?;
    let Query(query) = query?;
    let limit = query.limit.unwrap_or(200);
    if !(1..=1000).contains(&limit) {
        return Err(ApiError::invalid("limit", "limit is 1–1000"));
    }
    let items = state.store.security().audit_log(limit).await?.into_iter().map(AuditEntryView::from).collect();
    Ok(Json(Items { items }))
}
