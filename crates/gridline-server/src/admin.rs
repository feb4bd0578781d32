//! Administration over HTTP: users (list, add, change role, unit or name, disable and enable,
//! reset the password), units (add, edit their coverage) and each user's own password. Every
//! handler parses, calls the one function of `gridline_app::admin` that the CLI calls too (which
//! checks the rules and the administrator role, and writes the audit log), and shapes the answer.

use std::sync::Arc;

use axum::Json;
use axum::extract::rejection::{PathRejection, QueryRejection};
use axum::extract::{Path, Query, State};
use axum::http::StatusCode;
use gridline_app::admin::{self, NewUserInput, Saving, UserChange, UserFilter};
use gridline_core::actor::Role;
use gridline_core::ids::UnitCode;
use gridline_core::message::Reason;
use gridline_core::unit::{Unit, UnitKind};
use gridline_store::UserRecord;
use jiff::Timestamp;
use serde::{Deserialize, Deserializer, Serialize};
use utoipa::{IntoParams, ToSchema};

use crate::auth::{PeerAddress, SignedIn};
use crate::error::{ApiError, ErrorBody};
use crate::views::{Items, local_time};
use crate::{ApiJson, AppState};

/// A region code with its name.
#[derive(Serialize, ToSchema)]
pub struct CoveredRegion {
    code: String,
    name: String,
}

/// A user as administrators see them (never their password hash).
#[derive(Serialize, ToSchema)]
pub struct UserAdminView {
    id: i64,
    username: String,
    display_name: String,
    role: Role,
    unit: Option<String>,
    unit_name: Option<String>,
    /// The regions of the user's unit: the area a grid worker or a district's dispatcher sees.
    regions: Vec<CoveredRegion>,
    disabled: bool,
    /// When the account was disabled (Beijing time).
    disabled_at: Option<String>,
}

/// A unit with the names of the regions it covers.
#[derive(Serialize, ToSchema)]
pub struct UnitAdminView {
    code: String,
    name: String,
    kind: UnitKind,
    regions: Vec<CoveredRegion>,
    /// The unit types (routing vocabulary) whose cases it handles.
    types: Vec<String>,
}

impl AppState {
    fn covered(&self, codes: &[String]) -> Vec<CoveredRegion> {
        codes
            .iter()
            .map(|code| CoveredRegion { code: code.clone(), name: self.regions.get(code).map(|r| r.name.clone()).unwrap_or_default() })
            .collect()
    }

    fn user_view(&self, user: UserRecord) -> UserAdminView {
        let unit = user.unit.as_ref().and_then(|code| self.unit(code.as_str()));
        UserAdminView {
            id: user.id,
            username: user.username,
            display_name: user.display_name,
            role: user.role,
            unit: user.unit.map(|c| c.to_string()),
            unit_name: unit.as_ref().map(|u| u.name.clone()),
            regions: unit.map(|u| self.covered(&u.regions)).unwrap_or_default(),
            disabled: user.disabled_at.is_some(),
            disabled_at: user.disabled_at.map(local_time),
        }
    }

    fn unit_view(&self, unit: Unit) -> UnitAdminView {
        UnitAdminView { regions: self.covered(&unit.regions), code: unit.code.to_string(), name: unit.name, kind: unit.kind, types: unit.types }
    }
}

/// A unit code as typed; one that cannot be a code is no unit either.
fn unit_code(text: &str) -> Result<UnitCode, ApiError> {
    UnitCode::parse(text).map_err(|_| ApiError::Refused(Reason::new("unknown_unit").on("unit").with("unit", text)))
}

/// An optional unit as a form sends it: empty for none.
fn optional_unit(text: Option<&str>) -> Result<Option<UnitCode>, ApiError> {
    text.map(str::trim).filter(|t| !t.is_empty()).map(unit_code).transpose()
}

#[derive(Deserialize, IntoParams)]
#[serde(deny_unknown_fields)]
#[into_params(parameter_in = Query)]
pub struct UsersQuery {
    /// Part of the username or the display name.
    q: Option<String>,
    /// A role (`grid_worker`, …).
    role: Option<String>,
    /// A unit's code.
    unit: Option<String>,
    /// true: only the disabled; false: only the active.
    disabled: Option<bool>,
}

/// `GET /api/v1/users`: the users, by id, filtered.
#[utoipa::path(get, path = "/users", tag = "admin", security(("bearer" = [])), params(UsersQuery),
    responses((status = 200, description = "the users the filters admit, by id", body = Items<UserAdminView>),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 422, description = "an unknown role or unit", body = ErrorBody)))]
pub async fn users(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    query: Result<Query<UsersQuery>, QueryRejection>,
) -> Result<Json<Items<UserAdminView>>, ApiError> {
    let Query(query) = query?;
    let filter = UserFilter {
        text: query.q,
        role: query.role.as_deref().filter(|r| !r.is_empty()).map(admin::parse_role).transpose()?,
        unit: optional_unit(query.unit.as_deref())?,
        disabled: query.disabled,
    };
    let users = admin::list_users(&state.store, &filter, &who.actor).await?;
    Ok(Json(Items { items: users.into_iter().map(|u| state.user_view(u)).collect() }))
}

/// A user to add.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUserBody {
    /// 1–64 letters (Chinese too), digits, `.`, `_` or `-`.
    username: String,
    /// The name shown; the username when none.
    display_name: Option<String>,
    /// `hotline_operator`, `grid_worker`, `dispatcher`, `handling_unit`, `supervisor`, `inspector`, `member_unit` or `admin`.
    role: String,
    /// The unit's code; required for grid workers and unit staff.
    unit: Option<String>,
    /// At least 8 characters.
    password: String,
}

/// `POST /api/v1/users`: adds a user (audited as `user_created`).
#[utoipa::path(post, path = "/users", tag = "admin", security(("bearer" = [])), request_body = NewUserBody,
    responses((status = 201, description = "added", body = UserAdminView),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 409, description = "the username is taken (`username_taken`)", body = ErrorBody),
        (status = 422, description = "a bad username, an unknown role or unit, a unit role without a unit, a password too short", body = ErrorBody)))]
pub async fn create_user(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(body): ApiJson<NewUserBody>,
) -> Result<(StatusCode, Json<UserAdminView>), ApiError> {
    let input = NewUserInput {
        username: body.username.trim(),
        display_name: body.display_name.as_deref().map(str::trim).filter(|n| !n.is_empty()),
        role: admin::parse_role(&body.role)?,
        unit: optional_unit(body.unit.as_deref())?,
        password: &body.password,
    };
    let user = admin::create_user(&state.store, &input, &who.actor, Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(state.user_view(user))))
}

/// `Some(None)` for a field sent as null, `None` (by `default`) for a field not sent.
fn sent<'de, D: Deserializer<'de>>(deserializer: D) -> Result<Option<Option<String>>, D::Error> {
    Option::<String>::deserialize(deserializer).map(Some)
}

/// What to change of a user: the fields sent.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UserChangeBody {
    display_name: Option<String>,
    role: Option<String>,
    /// The unit's code; null or "" takes the unit away.
    #[serde(default, deserialize_with = "sent")]
    #[schema(value_type = Option<String>)]
    unit: Option<Option<String>>,
}

/// `PATCH /api/v1/users/{id}`: changes a user's role, unit or display name (audited as
/// `user_changed`). The user's area follows their unit's regions.
#[utoipa::path(patch, path = "/users/{id}", tag = "admin", security(("bearer" = [])), request_body = UserChangeBody,
    params(("id" = i64, Path, description = "the user's id")),
    responses((status = 200, description = "the user as changed", body = UserAdminView),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 404, description = "no such user", body = ErrorBody),
        (status = 409, description = "an administrator taking away their own administrator role (`own_account`)", body = ErrorBody),
        (status = 422, description = "an unknown role or unit, a unit role without a unit", body = ErrorBody)))]
pub async fn change_user(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    id: Result<Path<i64>, PathRejection>,
    ApiJson(body): ApiJson<UserChangeBody>,
) -> Result<Json<UserAdminView>, ApiError> {
    let Path(id) = id?;
    let change = UserChange {
        display_name: body.display_name,
        role: body.role.as_deref().map(admin::parse_role).transpose()?,
        unit: body.unit.map(|unit| optional_unit(unit.as_deref())).transpose()?,
    };
    let user = admin::change_user(&state.store, id, &change, &who.actor, Timestamp::now()).await?;
    Ok(Json(state.user_view(user)))
}

/// `POST /api/v1/users/{id}/disable`: the user's sessions end and they cannot sign in (audited).
#[utoipa::path(post, path = "/users/{id}/disable", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the user's id")),
    responses((status = 200, description = "the user, disabled", body = UserAdminView),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 404, description = "no such user", body = ErrorBody),
        (status = 409, description = "an administrator disabling themself (`own_account`)", body = ErrorBody)))]
pub async fn disable_user(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<UserAdminView>, ApiError> {
    let Path(id) = id?;
    let user = admin::set_user_disabled(&state.store, id, true, &who.actor, Timestamp::now()).await?;
    state.forget_sessions_of(id);
    Ok(Json(state.user_view(user)))
}

/// `POST /api/v1/users/{id}/enable`: a disabled user may sign in again (audited).
#[utoipa::path(post, path = "/users/{id}/enable", tag = "admin", security(("bearer" = [])),
    params(("id" = i64, Path, description = "the user's id")),
    responses((status = 200, description = "the user, enabled", body = UserAdminView),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 404, description = "no such user", body = ErrorBody)))]
pub async fn enable_user(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    id: Result<Path<i64>, PathRejection>,
) -> Result<Json<UserAdminView>, ApiError> {
    let Path(id) = id?;
    let user = admin::set_user_disabled(&state.store, id, false, &who.actor, Timestamp::now()).await?;
    Ok(Json(state.user_view(user)))
}

/// A new password.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct PasswordBody {
    /// At least 8 characters.
    password: String,
}

/// `POST /api/v1/users/{id}/password`: an administrator gives a user a new password; the user's
/// sessions end (audited as `password_reset`).
#[utoipa::path(post, path = "/users/{id}/password", tag = "admin", security(("bearer" = [])), request_body = PasswordBody,
    params(("id" = i64, Path, description = "the user's id")),
    responses((status = 200, description = "the password is replaced", body = UserAdminView),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 404, description = "no such user", body = ErrorBody),
        (status = 409, description = "one's own password (`own_password`: use `POST /me/password`)", body = ErrorBody),
        (status = 422, description = "the password is too short (`weak_password`)", body = ErrorBody)))]
pub async fn reset_password(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    id: Result<Path<i64>, PathRejection>,
    ApiJson(body): ApiJson<PasswordBody>,
) -> Result<Json<UserAdminView>, ApiError> {
    let Path(id) = id?;
    let user = admin::reset_password(&state.store, id, &body.password, &who.actor, Timestamp::now()).await?;
    state.forget_sessions_of(id);
    Ok(Json(state.user_view(user)))
}

/// The signed-in user's password change.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct OwnPasswordBody {
    old_password: String,
    /// At least 8 characters.
    new_password: String,
}

/// `POST /api/v1/me/password`: the signed-in user changes their own password; their other
/// sessions end, this one stays (audited as `password_changed`, a wrong old password too, which
/// also counts as a failed sign-in of the account).
#[utoipa::path(post, path = "/me/password", tag = "session", security(("bearer" = [])), request_body = OwnPasswordBody,
    responses((status = 204, description = "changed"),
        (status = 422, description = "the old password is wrong (`wrong_old_password`) or the new one too short (`weak_password`)", body = ErrorBody),
        (status = 429, description = "too many wrong passwords of this account (a wrong old password counts as a failed sign-in): locked out for a while (Retry-After)", body = ErrorBody)))]
pub async fn change_own_password(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    PeerAddress(address): PeerAddress,
    ApiJson(body): ApiJson<OwnPasswordBody>,
) -> Result<StatusCode, ApiError> {
    if body.old_password.len() > 1000 || body.new_password.len() > 1000 {
        return Err(ApiError::invalid("new_password", "a password is at most 1000 bytes"));
    }
    let keep = who.token_hash.as_str();
    state.change_own_password(&who.actor, &body.old_password, &body.new_password, Some(keep), address.as_deref(), Timestamp::now()).await?;
    state.forget_sessions_of_except(who.actor.user_id, keep);
    Ok(StatusCode::NO_CONTENT)
}

/// A unit's name, kind, coverage and unit types.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitBody {
    name: String,
    /// `department`, `street_office`, `member_unit` or `public_service`.
    kind: String,
    /// The region codes it covers (it covers everything inside them); at least one.
    regions: Vec<String>,
    /// Unit types (routing vocabulary, `GET /unit-types`) whose cases it handles.
    #[serde(default)]
    types: Vec<String>,
}

/// A new unit: its code and the rest.
#[derive(Deserialize, ToSchema)]
#[serde(deny_unknown_fields)]
pub struct NewUnitBody {
    /// Letters, digits and `-` (e.g. `CY-WJ`).
    code: String,
    name: String,
    kind: String,
    regions: Vec<String>,
    #[serde(default)]
    types: Vec<String>,
}

impl UnitBody {
    fn unit(self, code: UnitCode) -> Result<Unit, ApiError> {
        Ok(Unit { code, name: self.name, kind: admin::parse_unit_kind(&self.kind)?, regions: self.regions, types: self.types })
    }
}

/// `POST /api/v1/units`: adds a unit (audited as `unit_created`); the server routes to it at once.
#[utoipa::path(post, path = "/units", tag = "admin", security(("bearer" = [])), request_body = NewUnitBody,
    responses((status = 201, description = "added", body = UnitAdminView),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 409, description = "the code is taken (`unit_code_taken`)", body = ErrorBody),
        (status = 422, description = "a bad code, an empty name, an unknown kind, region or unit type, no region", body = ErrorBody)))]
pub async fn create_unit(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    ApiJson(body): ApiJson<NewUnitBody>,
) -> Result<(StatusCode, Json<UnitAdminView>), ApiError> {
    let code = UnitCode::parse(body.code.trim()).map_err(|e| ApiError::invalid("code", e.to_string()))?;
    let unit = UnitBody { name: body.name, kind: body.kind, regions: body.regions, types: body.types }.unit(code)?;
    let saved = state.save_unit(unit, Saving::Create, &who.actor, Timestamp::now()).await?;
    Ok((StatusCode::CREATED, Json(state.unit_view(saved))))
}

/// `PUT /api/v1/units/{code}`: changes a unit's name, kind, coverage and unit types (audited as
/// `unit_changed`, with what was and what is).
#[utoipa::path(put, path = "/units/{code}", tag = "admin", security(("bearer" = [])), request_body = UnitBody,
    params(("code" = String, Path, description = "the unit's code")),
    responses((status = 200, description = "the unit as changed", body = UnitAdminView),
        (status = 403, description = "not an administrator", body = ErrorBody),
        (status = 404, description = "no such unit (`unit_not_found`)", body = ErrorBody),
        (status = 422, description = "an empty name, an unknown kind, region or unit type, no region", body = ErrorBody)))]
pub async fn update_unit(
    State(state): State<Arc<AppState>>,
    who: SignedIn,
    code: Result<Path<String>, PathRejection>,
    ApiJson(body): ApiJson<UnitBody>,
) -> Result<Json<UnitAdminView>, ApiError> {
    let Path(code) = code?;
    let code = UnitCode::parse(&code).map_err(|_| ApiError::Refused(Reason::new("unit_not_found").with("unit", &code)))?;
    let saved = state.save_unit(body.unit(code)?, Saving::Update, &who.actor, Timestamp::now()).await?;
    Ok(Json(state.unit_view(saved)))
}
