//! Administration: users and units. Each job is one function here, used by every edge — the
//! API's `/users` and `/units`, `gridline user …` and `gridline unit …`, the demo — so that a
//! rule (a username's letters, a password's length, a unit's regions) is checked once, and each
//! change is written to the audit log (`store.security()`, beside the sign-in lockouts) with who
//! did it, when, and to whom or which unit.
//!
//! A user's area is their unit's: what a grid worker or a district's dispatcher sees follows the
//! regions their unit covers (`Visibility::of`), so a user's regions are changed by giving them
//! another unit or by editing the unit's coverage.

use gridline_core::DomainError;
use gridline_core::actor::{Actor, Role};
use gridline_core::ids::UnitCode;
use gridline_core::message::{Lang, Reason};
use gridline_core::unit::{Unit, UnitKind};
use gridline_store::{AuditEntry, AuditFilter, NewAuditEntry, NewUser, Store, StoreError, UserRecord};
use jiff::Timestamp;

use crate::passwords::{hash_password, password_matches};
use crate::sign_in::SignInAttempt;
use crate::{App, AppError};

/// The fewest characters (not bytes) of a password.
pub const MIN_PASSWORD_CHARS: usize = 8;
/// The most characters of a username, a display name or a unit's name.
pub const MAX_NAME_CHARS: usize = 64;

fn refused(reason: Reason) -> AppError {
    AppError::Domain(DomainError::Refused(reason))
}

/// Refuses anyone but an administrator.
fn admin_only(by: &Actor) -> Result<(), AppError> {
    if by.role == Role::Admin { Ok(()) } else { Err(AppError::forbidden("users and units are managed by administrators")) }
}

/// A username: 1–64 letters (Chinese ones too), digits, `.`, `_` or `-`.
pub fn check_username(username: &str) -> Result<(), AppError> {
    let count = username.chars().count();
    if count == 0 || count > MAX_NAME_CHARS || !username.chars().all(|c| c.is_alphanumeric() || "._-".contains(c)) {
        return Err(refused(Reason::new("bad_username").on("username")));
    }
    Ok(())
}

/// A new password: at least [`MIN_PASSWORD_CHARS`] characters; `field` names it in the refusal.
pub fn check_password(field: &'static str, password: &str) -> Result<(), AppError> {
    if password.chars().count() < MIN_PASSWORD_CHARS {
        return Err(refused(Reason::new("weak_password").on(field).with("min", MIN_PASSWORD_CHARS)));
    }
    Ok(())
}

/// A role by its name (`dispatcher`, …).
pub fn parse_role(text: &str) -> Result<Role, AppError> {
    Role::parse(text).ok_or_else(|| refused(Reason::new("unknown_value").on("role").with("value", text)))
}

/// A kind of unit by its name (`street_office`, …).
pub fn parse_unit_kind(text: &str) -> Result<UnitKind, AppError> {
    UnitKind::parse(text).ok_or_else(|| refused(Reason::new("unknown_value").on("kind").with("value", text)))
}

/// A name shown to people: trimmed, not empty, at most [`MAX_NAME_CHARS`] characters.
fn check_name(field: &'static str, name: &str) -> Result<String, AppError> {
    let name = name.trim();
    if name.is_empty() {
        return Err(refused(Reason::new("required").on(field)));
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(refused(Reason::new("too_long").on(field).with("max", MAX_NAME_CHARS)));
    }
    Ok(name.to_owned())
}

/// A user to add.
#[derive(Clone, Debug)]
pub struct NewUserInput<'a> {
    pub username: &'a str,
    /// The name shown; the username when none.
    pub display_name: Option<&'a str>,
    pub role: Role,
    pub unit: Option<UnitCode>,
    pub password: &'a str,
}

/// A change to a user: what is `Some` changes (`unit: Some(None)` takes the unit away).
#[derive(Clone, Debug, Default)]
pub struct UserChange {
    pub display_name: Option<String>,
    pub role: Option<Role>,
    pub unit: Option<Option<UnitCode>>,
}

/// Which users to list: each given condition must hold.
#[derive(Clone, Debug, Default)]
pub struct UserFilter {
    /// Part of the username or the display name.
    pub text: Option<String>,
    pub role: Option<Role>,
    pub unit: Option<UnitCode>,
    /// Only the disabled (true) or only the active (false).
    pub disabled: Option<bool>,
}

/// The unit's name, or its code when there is no such unit.
fn unit_label(units: &[Unit], code: Option<&UnitCode>) -> String {
    match code {
        None => "无".to_owned(),
        Some(code) => units.iter().find(|u| u.code == *code).map_or_else(|| code.to_string(), |u| u.name.clone()),
    }
}

/// Checks that a user of `role` in `unit` can be: a unit role has a unit, and the unit exists.
fn check_role_unit(units: &[Unit], role: Role, unit: Option<&UnitCode>) -> Result<(), AppError> {
    if role.needs_unit() && unit.is_none() {
        return Err(refused(Reason::new("unit_required").on("unit")));
    }
    if let Some(code) = unit
        && !units.iter().any(|u| u.code == *code)
    {
        return Err(refused(Reason::new("unknown_unit").on("unit").with("unit", code)));
    }
    Ok(())
}

async fn audit(store: &Store, kind: &str, username: Option<&str>, subject: Option<&str>, by: &Actor, detail: String, now: Timestamp) -> Result<(), AppError> {
    let entry = NewAuditEntry { kind, username, subject, actor: Some(&by.username), address: None, detail };
    store.security().audit(&entry, now).await?;
    Ok(())
}

/// Hashes off the async threads: Argon2 takes tens of milliseconds by design.
async fn hash(password: &str) -> Result<String, AppError> {
    let password = password.to_owned();
    tokio::task::spawn_blocking(move || hash_password(&password))
        .await
        .map_err(|e| AppError::Internal(e.to_string()))?
        .map_err(|e| AppError::Internal(format!("hashing a password: {e}")))
}

/// The user `id`, or `user_not_found`.
async fn user(store: &Store, id: i64) -> Result<UserRecord, AppError> {
    store.people().user(id).await?.ok_or_else(|| refused(Reason::new("user_not_found").with("id", id)))
}

/// Adds a user (audited as `user_created`). Nothing is written when a rule refuses it; a taken
/// username is a conflict.
pub async fn create_user(store: &Store, input: &NewUserInput<'_>, by: &Actor, now: Timestamp) -> Result<UserRecord, AppError> {
    admin_only(by)?;
    check_username(input.username)?;
    let display_name = check_name("display_name", input.display_name.unwrap_or(input.username))?;
    let units = store.people().units().await?;
    check_role_unit(&units, input.role, input.unit.as_ref())?;
    check_password("password", input.password)?;
    let new = NewUser {
        username: input.username.to_owned(),
        display_name,
        role: input.role,
        unit: input.unit.clone(),
        password_hash: hash(input.password).await?,
    };
    let user = store.people().create_user(&new, now).await.map_err(|e| match e {
        StoreError::Duplicate(_) => refused(Reason::new("username_taken").with("username", input.username)),
        other => other.into(),
    })?;
    let detail = format!("姓名：{}；角色：{}；单位：{}", user.display_name, user.role.label(Lang::Zh), unit_label(&units, user.unit.as_ref()));
    audit(store, "user_created", Some(&user.username), None, by, detail, now).await?;
    Ok(user)
}

/// The users `filter` admits, by id.
pub async fn list_users(store: &Store, filter: &UserFilter, by: &Actor) -> Result<Vec<UserRecord>, AppError> {
    admin_only(by)?;
    let text = filter.text.as_deref().map(str::trim).filter(|t| !t.is_empty()).map(str::to_lowercase);
    Ok(store
        .people()
        .users()
        .await?
        .into_iter()
        .filter(|u| text.as_ref().is_none_or(|t| u.username.to_lowercase().contains(t) || u.display_name.to_lowercase().contains(t)))
        .filter(|u| filter.role.is_none_or(|r| u.role == r))
        .filter(|u| filter.unit.as_ref().is_none_or(|c| u.unit.as_ref() == Some(c)))
        .filter(|u| filter.disabled.is_none_or(|d| u.disabled_at.is_some() == d))
        .collect())
}

/// Changes a user's display name, role or unit (audited as `user_changed`, with what was and
/// what is). An administrator cannot take away their own administrator role.
pub async fn change_user(store: &Store, id: i64, change: &UserChange, by: &Actor, now: Timestamp) -> Result<UserRecord, AppError> {
    admin_only(by)?;
    let before = user(store, id).await?;
    let role = change.role.unwrap_or(before.role);
    if id == by.user_id && role != Role::Admin {
        return Err(refused(Reason::new("own_account")));
    }
    let unit = change.unit.clone().unwrap_or_else(|| before.unit.clone());
    let display_name = match &change.display_name {
        Some(name) => check_name("display_name", name)?,
        None => before.display_name.clone(),
    };
    let units = store.people().units().await?;
    check_role_unit(&units, role, unit.as_ref())?;
    let after = store.people().update_user(id, &display_name, role, unit.as_ref()).await?.ok_or_else(|| refused(Reason::new("user_not_found").with("id", id)))?;
    let mut changes = Vec::new();
    if before.display_name != after.display_name {
        changes.push(format!("姓名：{} → {}", before.display_name, after.display_name));
    }
    if before.role != after.role {
        changes.push(format!("角色：{} → {}", before.role.label(Lang::Zh), after.role.label(Lang::Zh)));
    }
    if before.unit != after.unit {
        changes.push(format!("单位：{} → {}", unit_label(&units, before.unit.as_ref()), unit_label(&units, after.unit.as_ref())));
    }
    if !changes.is_empty() {
        audit(store, "user_changed", Some(&after.username), None, by, changes.join("；"), now).await?;
    }
    Ok(after)
}

/// Disables a user (their sessions end at once and they cannot sign in) or enables them again;
/// audited as `user_disabled` or `user_enabled`. An administrator cannot disable themself.
pub async fn set_user_disabled(store: &Store, id: i64, disabled: bool, by: &Actor, now: Timestamp) -> Result<UserRecord, AppError> {
    admin_only(by)?;
    if disabled && id == by.user_id {
        return Err(refused(Reason::new("own_account")));
    }
    let before = user(store, id).await?;
    if before.disabled_at.is_some() == disabled {
        return Ok(before);
    }
    let after = store
        .people()
        .set_disabled(id, disabled.then_some(now))
        .await?
        .ok_or_else(|| refused(Reason::new("user_not_found").with("id", id)))?;
    let (kind, detail) = if disabled {
        let ended = store.people().delete_sessions_of(id, None).await?;
        ("user_disabled", format!("已停用，结束 {ended} 个登录会话"))
    } else {
        ("user_enabled", "已启用".to_owned())
    };
    audit(store, kind, Some(&after.username), None, by, detail, now).await?;
    Ok(after)
}

/// Gives a user a new password chosen by an administrator (audited as `password_reset`); every
/// session of the user ends, so that whoever held the old password is out. Not one's own: that is
/// [`change_own_password`], which asks for the old one (a stolen session cannot take the account).
pub async fn reset_password(store: &Store, id: i64, password: &str, by: &Actor, now: Timestamp) -> Result<UserRecord, AppError> {
    admin_only(by)?;
    if id == by.user_id {
        return Err(refused(Reason::new("own_password")));
    }
    check_password("password", password)?;
    let user = user(store, id).await?;
    store.people().set_password_hash(id, &hash(password).await?).await?;
    let ended = store.people().delete_sessions_of(id, None).await?;
    audit(store, "password_reset", Some(&user.username), None, by, format!("密码已重置，结束 {ended} 个登录会话"), now).await?;
    Ok(user)
}

impl App {
    /// A user changes their own password: the old one must be right and the new one follow the
    /// rules; their other sessions end (the one of `keep`, where they made the change, stays).
    /// Audited as `password_changed`. A wrong old password counts as a failed sign-in of the
    /// account (from `address`), so that a session left open cannot be used to guess the
    /// password faster than the sign-in page allows: too many lock the account out
    /// ([`AppError::LockedOut`]), sign-in included.
    pub async fn change_own_password(&self, who: &Actor, old: &str, new: &str, keep: Option<&str>, address: Option<&str>, now: Timestamp) -> Result<(), AppError> {
        let store = &self.store;
        let user = user(store, who.user_id).await?;
        let counted = match self.begin_sign_in(&user.username, address, now).await? {
            SignInAttempt::Counted(counted) => counted,
            SignInAttempt::LockedUntil(until) => return Err(AppError::LockedOut(until)),
        };
        let (old, hash_now) = (old.to_owned(), user.password_hash.clone());
        let right = tokio::task::spawn_blocking(move || password_matches(&old, &hash_now)).await.map_err(|e| AppError::Internal(e.to_string()))?;
        if !right {
            let entry = NewAuditEntry {
                kind: "password_changed",
                username: Some(&user.username),
                actor: Some(&who.username),
                address,
                detail: "原密码不正确，未修改".into(),
                subject: None,
            };
            self.failed_attempt(&entry, &user.username, address, &counted, now).await?;
            return Err(refused(Reason::new("wrong_old_password").on("old_password")));
        }
        self.sign_in_succeeded(&user.username, address).await?;
        check_password("new_password", new)?;
        store.people().set_password_hash(user.id, &hash(new).await?).await?;
        let ended = store.people().delete_sessions_of(user.id, keep).await?;
        audit(store, "password_changed", Some(&user.username), None, who, format!("本人修改密码，结束其他 {ended} 个登录会话"), now).await?;
        Ok(())
    }
}

/// How [`App::save_unit`] takes a unit whose code exists, or does not.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Saving {
    /// A new unit: a taken code is a conflict.
    Create,
    /// An existing unit: an unknown code is not found.
    Update,
    /// Either (`gridline unit add`, which adds or updates).
    Upsert,
}

impl App {
    /// Adds or changes a unit — its name, kind, the regions it covers and the unit types it
    /// handles — after checking every region against the region tree and every type against the
    /// routing rules in force; audited as `unit_created` or `unit_changed`. The running server
    /// knows the change at once (other servers within [`crate::REFRESH_EVERY`]).
    pub async fn save_unit(&self, unit: Unit, saving: Saving, by: &Actor, now: Timestamp) -> Result<Unit, AppError> {
        admin_only(by)?;
        let name = check_name("name", &unit.name)?;
        if unit.regions.is_empty() {
            return Err(refused(Reason::new("required").on("regions")));
        }
        for region in &unit.regions {
            if self.regions.get(region).is_none() {
                return Err(refused(Reason::new("unknown_region").on("regions").with("region", region)));
            }
        }
        let reference = self.reference();
        for unit_type in &unit.types {
            if reference.routing.unit_type(unit_type).is_none() {
                return Err(refused(Reason::new("unknown_unit_type").on("types").with("type", unit_type)));
            }
        }
        let before = self.store.people().units().await?.into_iter().find(|u| u.code == unit.code);
        match (saving, &before) {
            (Saving::Create, Some(_)) => return Err(refused(Reason::new("unit_code_taken").with("unit", &unit.code))),
            (Saving::Update, None) => return Err(refused(Reason::new("unit_not_found").with("unit", &unit.code))),
            _ => {}
        }
        // Each region and type once, in the order given.
        let once = |list: Vec<String>| {
            let mut seen = std::collections::HashSet::new();
            list.into_iter().filter(|x| seen.insert(x.clone())).collect::<Vec<_>>()
        };
        let saved = Unit { name, regions: once(unit.regions), types: once(unit.types), ..unit };
        self.store.people().put_unit(&saved, now).await?;
        *self.units.write().expect("units") = crate::sorted_units(&self.store).await?;
        let region_names = |u: &Unit| u.regions.iter().map(|r| self.region_name(r)).collect::<Vec<_>>().join("、");
        let detail = match &before {
            None => format!("{}（{}）：{}；覆盖区域：{}", saved.name, saved.code, saved.kind.label(Lang::Zh), region_names(&saved)),
            Some(before) => {
                let mut changes = Vec::new();
                if before.name != saved.name {
                    changes.push(format!("名称：{} → {}", before.name, saved.name));
                }
                if before.kind != saved.kind {
                    changes.push(format!("类型：{} → {}", before.kind.label(Lang::Zh), saved.kind.label(Lang::Zh)));
                }
                if before.regions != saved.regions {
                    changes.push(format!("覆盖区域：{} → {}", region_names(before), region_names(&saved)));
                }
                if before.types != saved.types {
                    changes.push(format!("承办类型：{} → {}", before.types.join("、"), saved.types.join("、")));
                }
                if changes.is_empty() {
                    return Ok(saved);
                }
                format!("{}（{}）：{}", saved.name, saved.code, changes.join("；"))
            }
        };
        let kind = if before.is_some() { "unit_changed" } else { "unit_created" };
        audit(&self.store, kind, None, Some(saved.code.as_str()), by, detail, now).await?;
        Ok(saved)
    }
}

/// The audit log's entries `filter` admits, the newest first; for administrators.
pub async fn audit_log(store: &Store, filter: &AuditFilter, by: &Actor) -> Result<Vec<AuditEntry>, AppError> {
    if by.role != Role::Admin {
        return Err(AppError::forbidden("the audit log is for administrators"));
    }
    Ok(store.security().audit_search(filter).await?)
}

/// The audit log's export columns, in order: `(name, Chinese header)`; the name is the header of
/// `Lang::En`, as in the case export.
pub const AUDIT_COLUMNS: [(&str, &str); 8] = [
    ("id", "编号"),
    ("at", "时间"),
    ("kind", "操作"),
    ("actor", "操作人"),
    ("username", "对象账号"),
    ("subject", "对象单位"),
    ("address", "来源地址"),
    ("detail", "详情"),
];

/// Audit entries as CSV (with a BOM, so that spreadsheets read the Chinese as UTF-8): Chinese
/// headers, kinds as people read them (登录失败, 停用用户) and units by name in `Lang::Zh`; the
/// columns' names and the stored values in `Lang::En`.
pub fn audit_csv(entries: &[AuditEntry], units: &[Unit], lang: Lang) -> Result<Vec<u8>, AppError> {
    let mut out = "\u{feff}".as_bytes().to_vec();
    {
        let mut writer = csv::Writer::from_writer(&mut out);
        let failed = |e: csv::Error| AppError::Internal(format!("writing the audit CSV: {e}"));
        writer.write_record(AUDIT_COLUMNS.map(|(name, zh)| if lang == Lang::Zh { zh } else { name })).map_err(failed)?;
        for entry in entries {
            let kind = match lang {
                Lang::Zh => gridline_core::labels::label("audit", &entry.kind, lang).unwrap_or(entry.kind.as_str()).to_owned(),
                Lang::En => entry.kind.clone(),
            };
            let subject = match (&entry.subject, lang) {
                (Some(code), Lang::Zh) => units.iter().find(|u| u.code.as_str() == code).map_or_else(|| code.clone(), |u| format!("{}（{code}）", u.name)),
                (subject, _) => subject.clone().unwrap_or_default(),
            };
            writer
                .write_record([
                    entry.id.to_string(),
                    crate::export::Cell::Time(entry.at).into_text(lang),
                    kind,
                    entry.actor.clone().unwrap_or_default(),
                    entry.username.clone().unwrap_or_default(),
                    subject,
                    entry.address.clone().unwrap_or_default(),
                    entry.detail.clone(),
                ])
                .map_err(failed)?;
        }
        writer.flush().map_err(|e| AppError::Internal(e.to_string()))?;
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(err: AppError) -> &'static str {
        match err {
            AppError::Domain(DomainError::Refused(reason)) => reason.code(),
            other => panic!("not a refusal: {other}"),
        }
    }

    #[test]
    fn usernames_and_passwords_follow_the_rules_the_cli_always_had() {
        assert!(check_username("wang.wei").is_ok() && check_username("王伟").is_ok() && check_username("a-b_c").is_ok());
        for bad in ["", "a b", "x/y", &"a".repeat(65)] {
            assert_eq!(code(check_username(bad).unwrap_err()), "bad_username", "{bad:?}");
        }
        assert!(check_password("password", "12345678").is_ok());
        // Characters, not bytes: seven Chinese characters are 21 bytes and still too short.
        assert_eq!(code(check_password("password", "七个汉字的密码").unwrap_err()), "weak_password");
        assert_eq!(code(parse_role("boss").unwrap_err()), "unknown_value");
        assert_eq!(parse_role("grid_worker").unwrap(), Role::GridWorker);
        assert_eq!(code(parse_unit_kind("club").unwrap_err()), "unknown_value");
    }

    #[test]
    fn a_unit_role_needs_a_unit_that_exists() {
        let units = vec![Unit { code: "CY-WJ".parse().unwrap(), name: "望京街道办事处".into(), kind: UnitKind::StreetOffice, regions: vec![], types: vec![] }];
        assert_eq!(code(check_role_unit(&units, Role::GridWorker, None).unwrap_err()), "unit_required");
        assert_eq!(code(check_role_unit(&units, Role::GridWorker, Some(&"NOPE".parse().unwrap())).unwrap_err()), "unknown_unit");
        assert!(check_role_unit(&units, Role::GridWorker, Some(&"CY-WJ".parse().unwrap())).is_ok());
        assert!(check_role_unit(&units, Role::Dispatcher, None).is_ok());
        assert_eq!(unit_label(&units, Some(&"CY-WJ".parse().unwrap())), "望京街道办事处");
    }

    #[test]
    fn the_audit_export_has_chinese_headers_kinds_and_unit_names_by_default() {
        let units = vec![Unit { code: "CY-WJ".parse().unwrap(), name: "望京街道办事处".into(), kind: UnitKind::StreetOffice, regions: vec![], types: vec![] }];
        let entry = AuditEntry {
            id: 7,
            at: "2026-12-06T02:00:00Z".parse().unwrap(),
            kind: "unit_changed".into(),
            username: None,
            subject: Some("CY-WJ".into()),
            address: None,
            actor: Some("admin".into()),
            detail: "覆盖区域：望京街道 → 望京街道、酒仙桥街道".into(),
        };
        let zh = String::from_utf8(audit_csv(std::slice::from_ref(&entry), &units, Lang::Zh).unwrap()).unwrap();
        let lines: Vec<&str> = zh.trim_start_matches('\u{feff}').lines().collect();
        assert_eq!(lines[0], "编号,时间,操作,操作人,对象账号,对象单位,来源地址,详情");
        assert_eq!(lines[1], "7,2026-12-06 10:00:00,修改单位,admin,,望京街道办事处（CY-WJ）,,覆盖区域：望京街道 → 望京街道、酒仙桥街道");
        let en = String::from_utf8(audit_csv(&[entry], &units, Lang::En).unwrap()).unwrap();
        assert!(en.contains("id,at,kind,actor,username,subject,address,detail") && en.contains("unit_changed,admin,,CY-WJ"), "{en}");
    }
}
