//! For administrators: the sign-in lockouts in force and their lifting, and the audit log.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gridline_core::actor::Role;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use gridline_app::admin;
use gridline_core::message::Lang;
use gridline_store::{AuditEntry, AuditFilter, SignInLock, SignInSubject};
use jiff::Timestamp;
use serde::{Deserialize, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::AppState;
use crate::cases::parse_time;
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
    /// How many of the latest entries: 1–1000, default 200 (the export: 1–100000, default 10000).
    limit: Option<i64>,
    /// Who did it (a username; `cli:…` for the command line).
    actor: Option<String>,
    /// The kind of entry: `user_created`, `user_disabled`, `password_reset`, `unit_changed`,
    /// `sign_in_failed`, … (docs/administration.md lists them).
    kind: Option<String>,
    /// The account or the unit (its code) the entry is about.
    subject: Option<String>,
    /// From this day (Beijing time, `2024-10-08`) or moment on.
    from: Option<String>,
    /// Up to this day, included, or moment.
    to: Option<String>,
    /// The export only: zh (the default: Chinese headers and kinds, units by name) or en.
    lang: Option<String>,
}

impl AuditQuery {
    fn filter(&self, default_limit: i64, max_limit: i64) -> Result<AuditFilter, ApiError> {
        let limit = self.limit.unwrap_or(default_limit);
        if !(1..=max_limit).contains(&limit) {
            return Err(ApiError::invalid("limit", format!("limit is 1–{max_limit}")));
        }
        let text = |value: &Option<String>| value.as_deref().map(str::trim).filter(|v| !v.is_empty()).map(str::to_owned);
        let time = |field: &'static str, value: &Option<String>, end: bool| {
            value.as_deref().filter(|v| !v.trim().is_empty()).map(|v| parse_time(field, v.trim(), end)).transpose()
        };
        Ok(AuditFilter {
            actor: text(&self.actor),
            kind: text(&self.kind),
            subject: text(&self.subject),
            from: time("from", &self.from, false)?,
            to: time("to", &self.to, true)?,
            limit,
        })
    }
}

/// One line of the audit log.
#[derive(Serialize, ToSchema)]
pub struct AuditEntryView {
    id: i64,
    at: String,
    /// `sign_in_failed`, `sign_in_locked`, `sign_in_refused`, `lock_lifted`, `user_created`,
    /// `user_changed`, `user_disabled`, `user_enabled`, `password_reset`, `password_changed`,
    /// `unit_created` or `unit_changed`.
    kind: String,
    /// The account the entry is about.
    username: Option<String>,
    /// The unit the entry is about (its code), and its name.
    subject: Option<String>,
    subject_name: Option<String>,
    address: Option<String>,
    /// Who did it.
    actor: Option<String>,
    detail: String,
}

impl AuditEntryView {
    fn new(state: &AppState, entry: AuditEntry) -> Self {
        AuditEntryView {
            id: entry.id,
            at: local_time(entry.at),
            kind: entry.kind,
            username: entry.username,
            subject_name: entry.subject.as_deref().and_then(|code| state.unit(code)).map(|u| u.name),
            subject: entry.subject,
            address: entry.address,
            actor: entry.actor,
            detail: entry.detail,
        }
    }
}

/// `GET /api/v1/audit`: the latest entries of the audit log — sign-in failures, lockouts and
/// their lifting, and every administrator's action on users and units — filtered.
#[utoipa::path(get, path = "/audit", tag = "session", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, description = "the newest first", body = Items<AuditEntryView>),
        (status = 400, description = "an unknown or malformed query parameter", body = ErrorBody),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 422, description = "limit out of range, or a date that is not one", body = ErrorBody)))]
pub async fn audit(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Json<Items<AuditEntryView>>, ApiError> {
    admin_only(&who)?;
    let Query(query) = query?;
    let entries = admin::audit_log(&state.store, &query.filter(200, 1000)?, &who.actor).await?;
    Ok(Json(Items { items: entries.into_iter().map(|e| AuditEntryView::new(&state, e)).collect() }))
}

/// `GET /api/v1/audit/export`: the entries of the same filters as CSV, Chinese headers by default.
#[utoipa::path(get, path = "/audit/export", tag = "session", security(("bearer" = [])), params(AuditQuery),
    responses((status = 200, description = "CSV (UTF-8 with a BOM): 编号, 时间, 操作, 操作人, 对象账号, 对象单位, 来源地址, 详情 (lang=en: id, at, kind, actor, username, subject, address, detail)",
            content((String = "text/csv"))),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 422, description = "limit out of range, a date that is not one, or a lang other than zh or en", body = ErrorBody)))]
pub async fn audit_export(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<AuditQuery>, QueryRejection>,
) -> Result<Response, ApiError> {
    admin_only(&who)?;
    let Query(query) = query?;
    let lang = match query.lang.as_deref().unwrap_or("zh") {
        "zh" => Lang::Zh,
        "en" => Lang::En,
        other => return Err(ApiError::invalid("lang", format!("lang is zh or en, not {other:?}"))),
    };
    let entries = admin::audit_log(&state.store, &query.filter(10_000, 100_000)?, &who.actor).await?;
    let bytes = admin::audit_csv(&entries, &state.units(), lang)?;
    let day = local_time(Timestamp::now()).get(..10).unwrap_or("export").to_owned();
    Ok((
        [
            (header::CONTENT_TYPE, "text/csv; charset=utf-8".to_owned()),
            (header::CONTENT_DISPOSITION, format!("attachment; filename=\"audit-{day}.csv\"")),
        ],
        bytes,
    )
        .into_response())
}
