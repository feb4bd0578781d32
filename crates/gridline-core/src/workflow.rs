//! The case workflow as a pure state machine: [`decide`] checks a command against the case, the
//! actor and the reference data and returns the [`Change`] to record, or says precisely why not.
//!
//! received → registered | rejected | merged; registered → dispatched; dispatched → accepted |
//! returned; returned → dispatched; accepted → handled; handled → closed (verified) | accepted
//! (rework); closed → called_back. Extension, suspension and supervision do not change the state.

use jiff::Timestamp;
use serde::Deserialize;

use crate::actor::{Actor, Role};
use crate::calendar::WorkCalendar;
use crate::case::{Case, CaseId, CaseStatus, Change, Satisfaction, SupervisionLevel};
use crate::ids::{CategoryCode, RegionCode, UnitCode};
use crate::catalogue::Catalogue;
use crate::error::DomainError;
use crate::region::RegionTree;
use crate::sla::{LimitUnit, SlaClock, TimeLimit};
use crate::unit::Unit;

/// Longest free text accepted in a reason, note or feedback (characters).
pub const MAX_NOTE_CHARS: usize = 2000;

/// An action asked of a case, as the API receives it.
#[derive(Clone, Debug, PartialEq, Deserialize, utoipa::ToSchema)]
#[serde(tag = "action", rename_all = "snake_case", deny_unknown_fields)]
pub enum Command {
    Register {
        #[serde(default)]
        category: Option<CategoryCode>,
        #[serde(default)]
        region: Option<RegionCode>,
        #[serde(default)]
        note: Option<String>,
    },
    Reject {
        reason: String,
    },
    Merge {
        into: CaseId,
        #[serde(default)]
        note: Option<String>,
    },
    Dispatch {
        unit: UnitCode,
        #[serde(default)]
        note: Option<String>,
        /// Set by registration's automatic dispatch, never by a client.
        #[serde(skip)]
        rule: Option<String>,
    },
    Accept {
        #[serde(default)]
        note: Option<String>,
    },
    Return {
        reason: String,
    },
    Handle {
        feedback: String,
        #[serde(default)]
        photos: Vec<String>,
    },
    Verify {
        passed: bool,
        #[serde(default)]
        note: Option<String>,
    },
    Callback {
        resolved: bool,
        satisfaction: Satisfaction,
        #[serde(default)]
        note: Option<String>,
    },
    RequestExtension {
        amount: u32,
        unit: LimitUnit,
        reason: String,
    },
    ApproveExtension {
        #[serde(default = "yes")]
        approved: bool,
        #[serde(default)]
        note: Option<String>,
    },
    Suspend {
        reason: String,
    },
    Resume {
        #[serde(default)]
        note: Option<String>,
    },
    Supervise {
        #[serde(default = "general")]
        level: SupervisionLevel,
        note: String,
    },
}

fn yes() -> bool {
    true
}

fn general() -> SupervisionLevel {
    SupervisionLevel::General
}

/// Every action, in the order the API documents them.
pub const ACTIONS: [&str; 14] = [
    "register",
    "reject",
    "merge",
    "dispatch",
    "accept",
    "return",
    "handle",
    "verify",
    "callback",
    "request_extension",
    "approve_extension",
    "suspend",
    "resume",
    "supervise",
];

impl Command {
    pub fn action(&self) -> &'static str {
        match self {
            Command::Register { .. } => "register",
            Command::Reject { .. } => "reject",
            Command::Merge { .. } => "merge",
            Command::Dispatch { .. } => "dispatch",
            Command::Accept { .. } => "accept",
            Command::Return { .. } => "return",
            Command::Handle { .. } => "handle",
            Command::Verify { .. } => "verify",
            Command::Callback { .. } => "callback",
            Command::RequestExtension { .. } => "request_extension",
            Command::ApproveExtension { .. } => "approve_extension",
            Command::Suspend { .. } => "suspend",
            Command::Resume { .. } => "resume",
            Command::Supervise { .. } => "supervise",
        }
    }
}

/// Who may do an action, beyond their role.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Scope {
    /// Anyone of the allowed roles.
    Anywhere,
    /// Staff of the unit the case is dispatched to.
    AssignedUnit,
    /// Users whose unit covers the case's region (users without a unit act city-wide).
    CoveredRegion,
}

/// The roles that may do an action, and the scope they must act within.
fn permission(action: &str) -> (&'static [Role], Scope) {
    use Role::*;
    match action {
        "register" | "reject" | "merge" | "dispatch" | "approve_extension" | "suspend" | "resume" => {
            (&[Dispatcher, Admin], Scope::CoveredRegion)
        }
        "accept" | "return" | "handle" | "request_extension" => (&[HandlingUnit, MemberUnit], Scope::AssignedUnit),
        "verify" => (&[GridWorker, Inspector, Dispatcher, Admin], Scope::CoveredRegion),
        "callback" => (&[HotlineOperator, Dispatcher, Admin], Scope::Anywhere),
        "supervise" => (&[Supervisor, Admin], Scope::Anywhere),
        _ => (&[], Scope::Anywhere),
    }
}

/// Whether a role may ever do an action (its unit or region may still stand in the way).
pub fn role_may(role: Role, action: &str) -> bool {
    permission(action).0.contains(&role)
}

/// The actions the case's state allows now, whoever asks.
pub fn allowed_actions(case: &Case) -> Vec<&'static str> {
    if case.is_suspended() {
        return vec!["resume", "supervise"];
    }
    let mut actions: Vec<&'static str> = match case.status {
        CaseStatus::Received => vec!["register", "reject", "merge"],
        CaseStatus::Registered => vec!["dispatch", "merge"],
        CaseStatus::Returned => vec!["dispatch"],
        CaseStatus::Dispatched => vec!["accept", "return", "suspend"],
        CaseStatus::Accepted => vec!["handle", "suspend"],
        CaseStatus::Handled => vec!["verify"],
        CaseStatus::Closed => vec!["callback"],
        CaseStatus::Rejected | CaseStatus::Merged | CaseStatus::CalledBack => vec![],
    };
    if matches!(case.status, CaseStatus::Dispatched | CaseStatus::Accepted) {
        actions.push(if case.pending_extension.is_some() { "approve_extension" } else { "request_extension" });
    }
    if case.status.is_open() {
        actions.push("supervise");
    }
    actions
}

/// Reference data and the moment a decision is made.
pub struct Context<'a> {
    pub calendar: &'a WorkCalendar,
    pub catalogue: &'a Catalogue,
    pub regions: &'a RegionTree,
    pub units: &'a (dyn Fn(&str) -> Option<Unit> + Sync),
    pub now: Timestamp,
}

/// Which cases a user may see: a unit sees its own cases only; region-bound users see their area
/// and what they reported themselves.
#[derive(Clone, Debug, PartialEq)]
pub enum Visibility {
    All,
    /// Cases currently with this unit.
    Unit(UnitCode),
    /// Cases inside any of these region-code prefixes, or reported by this user.
    Regions { prefixes: Vec<String>, reporter: i64 },
}

impl Visibility {
    pub fn of(actor: &Actor, actor_unit: Option<&Unit>, regions: &RegionTree) -> Visibility {
        match (actor.role, &actor.unit) {
            (Role::Admin | Role::Supervisor | Role::HotlineOperator | Role::Inspector, _) => Visibility::All,
            (Role::Dispatcher, None) => Visibility::All,
            (Role::HandlingUnit | Role::MemberUnit, Some(unit)) => Visibility::Unit(unit.clone()),
            // A unit role without a unit sees nothing but its own reports.
            (Role::HandlingUnit | Role::MemberUnit, None) => Visibility::Regions { prefixes: vec![], reporter: actor.user_id },
            (Role::Dispatcher | Role::GridWorker, _) => Visibility::Regions {
                prefixes: actor_unit
                    .map(|unit| {
                        unit.regions.iter().filter_map(|code| regions.get(code)).map(|r| r.code_prefix().to_owned()).collect()
                    })
                    .unwrap_or_default(),
                reporter: actor.user_id,
            },
        }
    }

    pub fn admits(&self, case: &Case) -> bool {
        match self {
            Visibility::All => true,
            Visibility::Unit(unit) => case.unit.as_ref() == Some(unit),
            Visibility::Regions { prefixes, reporter } => {
                case.reported_by == *reporter
                    || case.region.as_deref().is_some_and(|region| prefixes.iter().any(|p| region.starts_with(p.as_str())))
            }
        }
    }
}

/// Checks the command and returns the change to record.
pub fn decide(case: &Case, command: &Command, actor: &Actor, ctx: &Context<'_>, merge_target: Option<&Case>) -> Result<Change, DomainError> {
    let action = command.action();
    let (roles, scope) = permission(action);
    if !roles.contains(&actor.role) {
        let allowed: Vec<&str> = roles.iter().map(|r| r.as_str()).collect();
        return Err(DomainError::forbidden(format!(
            "role {} may not {action}; it is for {}",
            actor.role.as_str(),
            allowed.join(", ")
        )));
    }
    let allowed = allowed_actions(case);
    if !allowed.contains(&action) {
        let state = if case.is_suspended() {
            format!("{} (suspended)", case.status.as_str())
        } else {
            case.status.as_str().to_owned()
        };
        let next = if allowed.is_empty() { "none".to_owned() } else { allowed.join(", ") };
        return Err(DomainError::Conflict {
            message: format!("case {} is {state}: {action} is not allowed; allowed actions: {next}", case.id),
        });
    }
    check_scope(case, actor, scope, ctx)?;
    let now = ctx.now;
    let change = match command {
        Command::Register { category, region, note } => {
            let category = category.clone().or_else(|| case.category.clone()).ok_or_else(|| {
                DomainError::invalid("category", "the case has no category: give one to register it")
            })?;
            let entry = ctx.catalogue.check_fileable(&category)?;
            let region = region.clone().or_else(|| case.region.clone()).ok_or_else(|| {
                DomainError::invalid("region", "the case has no region: give one to register it")
            })?;
            check_region(ctx.regions, &region)?;
            if actor.role != Role::Admin {
                check_scope(&Case { region: Some(region.clone()), ..case.clone() }, actor, scope, ctx)?;
            }
            Change::Register { category_version: entry.version, category, region, note: note_opt(note)? }
        }
        Command::Reject { reason } => Change::Reject { reason: required("reason", reason)? },
        Command::Merge { into, note } => {
            let target = merge_target
                .filter(|t| t.id == *into)
                .ok_or_else(|| DomainError::invalid("into", format!("case {into} does not exist")))?;
            if target.id == case.id {
                return Err(DomainError::invalid("into", "a case cannot be merged into itself"));
            }
            if matches!(target.status, CaseStatus::Rejected | CaseStatus::Merged) {
                return Err(DomainError::invalid(
                    "into",
                    format!("case {into} is {}; merge into the case it went to instead", target.status.as_str()),
                ));
            }
            Change::Merge { into: *into, note: note_opt(note)? }
        }
        Command::Dispatch { unit, note, rule } => {
            let target = (ctx.units)(unit).ok_or_else(|| DomainError::invalid("unit", format!("unknown unit {unit:?}")))?;
            let region = case.region.as_deref().unwrap_or_default();
            if !target.covers(ctx.regions, region) {
                return Err(DomainError::invalid(
                    "unit",
                    format!("unit {} ({}) does not cover the case's region {region}", target.code, target.name),
                ));
            }
            let category = case.category.as_deref().unwrap_or_default();
            let limit = ctx
                .catalogue
                .time_limit(category, case.intake.emergency)
                .ok_or_else(|| DomainError::invalid("category", format!("category {category} has no time limit")))?;
            Change::Dispatch {
                unit: target.code,
                clock: SlaClock::start(ctx.calendar, now, limit),
                note: note_opt(note)?,
                rule: rule.clone(),
            }
        }
        Command::Accept { note } => Change::Accept { note: note_opt(note)? },
        Command::Return { reason } => Change::Return { reason: required("reason", reason)? },
        Command::Handle { feedback, photos } => {
            crate::case::check_photos(photos)?;
            Change::Handle { feedback: required("feedback", feedback)?, photos: photos.clone() }
        }
        Command::Verify { passed, note } => {
            let note = note_opt(note)?;
            if !passed && note.is_none() {
                return Err(DomainError::invalid("note", "say what is still wrong when a verification fails"));
            }
            Change::Verify { passed: *passed, note }
        }
        Command::Callback { resolved, satisfaction, note } => {
            Change::Callback { resolved: *resolved, satisfaction: *satisfaction, note: note_opt(note)? }
        }
        Command::RequestExtension { amount, unit, reason } => {
            let max = match unit {
                LimitUnit::WorkingDays => 30,
                LimitUnit::WorkingHours | LimitUnit::Hours => 240,
            };
            if *amount == 0 || *amount > max {
                return Err(DomainError::invalid("amount", format!("an extension is 1 to {max} {unit:?}")));
            }
            Change::RequestExtension { extension: TimeLimit::new(*amount, *unit), reason: required("reason", reason)? }
        }
        Command::ApproveExtension { approved, note } => {
            let request = case.pending_extension.as_ref().expect("allowed only while a request is pending");
            let clock = case.clock.as_ref().expect("a dispatched case has a clock");
            Change::ApproveExtension {
                approved: *approved,
                clock: approved.then(|| clock.extended(ctx.calendar, request.extension)),
                note: note_opt(note)?,
            }
        }
        Command::Suspend { reason } => {
            let clock = case.clock.as_ref().expect("a dispatched case has a clock");
            Change::Suspend { reason: required("reason", reason)?, clock: clock.paused(ctx.calendar, now) }
        }
        Command::Resume { note } => {
            let clock = case.clock.as_ref().expect("a suspended case has a clock");
            Change::Resume { clock: clock.resumed(ctx.calendar, now), note: note_opt(note)? }
        }
        Command::Supervise { level, note } => Change::Supervise { level: *level, note: required("note", note)? },
    };
    Ok(change)
}

fn check_scope(case: &Case, actor: &Actor, scope: Scope, ctx: &Context<'_>) -> Result<(), DomainError> {
    match scope {
        Scope::Anywhere => Ok(()),
        Scope::AssignedUnit => {
            if actor.unit.is_some() && actor.unit == case.unit {
                Ok(())
            } else {
                Err(DomainError::forbidden(format!(
                    "case {} is with unit {}, not with {}",
                    case.id,
                    case.unit.as_deref().unwrap_or("none"),
                    actor.unit.as_deref().unwrap_or("no unit")
                )))
            }
        }
        Scope::CoveredRegion => {
            let Some(unit_code) = &actor.unit else { return Ok(()) };
            let unit = (ctx.units)(unit_code)
                .ok_or_else(|| DomainError::forbidden(format!("your unit {unit_code} no longer exists")))?;
            match &case.region {
                Some(region) if unit.covers(ctx.regions, region) => Ok(()),
                Some(region) => Err(DomainError::forbidden(format!(
                    "case {} lies in region {region}, outside the area of {}",
                    case.id, unit.name
                ))),
                // An unlocated case is for the city-wide dispatchers until someone locates it.
                None => Err(DomainError::forbidden(format!("case {} has no region yet; a city-wide user must act", case.id))),
            }
        }
    }
}

pub fn check_region(regions: &RegionTree, code: &str) -> Result<(), DomainError> {
    regions.get(code).map(|_| ()).ok_or_else(|| DomainError::invalid("region", format!("unknown region {code:?}")))
}

/// A free text that must be given: trimmed, non-empty, not too long.
pub fn required(field: &'static str, text: &str) -> Result<String, DomainError> {
    let text = text.trim();
    if text.is_empty() {
        return Err(DomainError::invalid(field, format!("{field} must not be empty")));
    }
    if text.chars().count() > MAX_NOTE_CHARS {
        return Err(DomainError::invalid(field, format!("{field} is longer than {MAX_NOTE_CHARS} characters")));
    }
    Ok(text.to_owned())
}

fn note_opt(note: &Option<String>) -> Result<Option<String>, DomainError> {
    match note.as_deref().map(str::trim) {
        None | Some("") => Ok(None),
        Some(text) => required("note", text).map(Some),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::case::{CaseEvent, Channel, Intake};
    use crate::region::tests::small_tree;
    use crate::unit::UnitKind;

    fn actor(id: i64, role: Role, unit: Option<&str>) -> Actor {
        Actor { user_id: id, username: format!("u{id}"), role, unit: unit.map(|c| c.parse().unwrap()) }
    }

    fn units(code: &str) -> Option<Unit> {
        let (name, regions) = match code {
            "DC-DHM" => ("东华门街道办事处", vec!["110101001000"]),
            "XC-CGW" => ("西城区城市管理委员会", vec!["110102000000"]),
            "DC-CGW" => ("东城区城市管理委员会", vec!["110101000000"]),
            _ => return None,
        };
        Some(Unit { code: code.parse().unwrap(), name: name.into(), kind: UnitKind::StreetOffice, regions: regions.into_iter().map(Into::into).collect(), types: vec!["street_office".into()] })
    }

    struct World {
        catalogue: Catalogue,
        regions: RegionTree,
        now: Timestamp,
    }

    impl World {
        fn new() -> Self {
            World { catalogue: Catalogue::builtin(), regions: small_tree(), now: "2024-11-04T02:00:00Z".parse().unwrap() }
        }

        fn ctx(&self) -> Context<'_> {
            Context { calendar: WorkCalendar::china(), catalogue: &self.catalogue, regions: &self.regions, units: &units, now: self.now }
        }

        fn new_case(&self) -> Case {
            let intake = Intake {
                channel: Channel::Hotline,
                external_id: Some("HL-1".into()),
                category: Some("S0102".parse().unwrap()),
                category_version: Some(1),
                source: None,
                emergency: false,
                region: Some("110101001000".parse().unwrap()),
                title: "垃圾".into(),
                description: "胡同口暴露垃圾".into(),
                address: None,
                location: None,
                reporter: None,
                photos: vec![],
                suggestion: None,
            };
            let event = CaseEvent { seq: 1, at: self.now, actor: actor(1, Role::HotlineOperator, None), change: Change::Receive(intake) };
            Case::received(CaseId::new(7).unwrap(), &event).unwrap()
        }

        /// Decides and applies, as the store would.
        fn act(&self, case: &mut Case, by: &Actor, command: Command) -> Result<(), DomainError> {
            let change = decide(case, &command, by, &self.ctx(), None)?;
            case.apply(&CaseEvent { seq: case.version + 1, at: self.now, actor: by.clone(), change });
            Ok(())
        }
    }

    fn dispatcher() -> Actor {
        actor(2, Role::Dispatcher, None)
    }
    fn handler() -> Actor {
        actor(3, Role::HandlingUnit, Some("DC-DHM"))
    }
    fn other_handler() -> Actor {
        actor(4, Role::HandlingUnit, Some("XC-CGW"))
    }

    fn dispatch(unit: &str) -> Command {
        Command::Dispatch { unit: unit.parse().unwrap(), note: None, rule: None }
    }

    #[test]
    fn a_case_runs_the_whole_loop_with_return_rework_extension_and_suspension() {
        let mut w = World::new();
        let mut case = w.new_case();
        let d = dispatcher();
        w.act(&mut case, &d, Command::Register { category: None, region: None, note: None }).unwrap();
        w.act(&mut case, &d, dispatch("XC-CGW")).unwrap_err(); // does not cover 东城
        w.act(&mut case, &d, dispatch("DC-CGW")).unwrap();
        w.act(&mut case, &actor(9, Role::HandlingUnit, Some("DC-CGW")), Command::Return { reason: "属街道职责".into() }).unwrap();
        assert_eq!((case.status, case.return_count, case.unit.clone()), (CaseStatus::Returned, 1, None));
        w.act(&mut case, &d, dispatch("DC-DHM")).unwrap();
        assert_eq!(case.clock.as_ref().unwrap().deadline, "2024-11-05T02:00:00Z".parse::<Timestamp>().unwrap());
        let h = handler();
        w.act(&mut case, &h, Command::Accept { note: None }).unwrap();
        w.act(&mut case, &h, Command::RequestExtension { amount: 2, unit: LimitUnit::WorkingDays, reason: "需协调物业".into() }).unwrap();
        w.act(&mut case, &d, Command::ApproveExtension { approved: true, note: None }).unwrap();
        assert_eq!(case.clock.as_ref().unwrap().deadline, "2024-11-07T02:00:00Z".parse::<Timestamp>().unwrap());
        assert_eq!(case.extension_count, 1);
        w.act(&mut case, &d, Command::Suspend { reason: "等待产权单位确认".into() }).unwrap();
        assert_eq!(
            w.act(&mut case, &h, Command::Handle { feedback: "已清运".into(), photos: vec![] }),
            Err(DomainError::Conflict {
                message: "case 7 is accepted (suspended): handle is not allowed; allowed actions: resume, supervise".into()
            })
        );
        w.now = "2024-11-11T01:00:00Z".parse().unwrap(); // a week later, Monday 09:00
        w.act(&mut case, &d, Command::Resume { note: None }).unwrap();
        assert_eq!(case.clock.as_ref().unwrap().deadline, "2024-11-13T09:00:00Z".parse::<Timestamp>().unwrap());
        w.act(&mut case, &actor(5, Role::Supervisor, None), Command::Supervise { level: SupervisionLevel::Key, note: "加快办理".into() }).unwrap();
        w.act(&mut case, &h, Command::Handle { feedback: "已清运".into(), photos: vec!["p1.jpg".into()] }).unwrap();
        let grid = actor(6, Role::GridWorker, Some("DC-DHM"));
        w.act(&mut case, &grid, Command::Verify { passed: false, note: None }).unwrap_err(); // a failed check needs a note
        w.act(&mut case, &grid, Command::Verify { passed: false, note: Some("仍有残留".into()) }).unwrap();
        assert_eq!((case.status, case.rework_count), (CaseStatus::Accepted, 1));
        w.act(&mut case, &h, Command::Handle { feedback: "已彻底清理".into(), photos: vec![] }).unwrap();
        w.act(&mut case, &grid, Command::Verify { passed: true, note: None }).unwrap();
        assert_eq!((case.status, case.closed_late), (CaseStatus::Closed, Some(false)));
        w.act(&mut case, &actor(1, Role::HotlineOperator, None), Command::Callback { resolved: true, satisfaction: Satisfaction::Satisfied, note: None }).unwrap();
        assert_eq!(case.status, CaseStatus::CalledBack);
        assert!(allowed_actions(&case).is_empty());
        assert_eq!(case.version, 16);
    }

    #[test]
    fn roles_units_and_regions_are_checked_before_anything_changes() {
        let w = World::new();
        let mut case = w.new_case();
        let forbidden = |r: Result<(), DomainError>| matches!(r, Err(DomainError::Forbidden { .. }));
        assert!(forbidden(w.act(&mut case, &handler(), Command::Register { category: None, region: None, note: None })));
        assert!(forbidden(w.act(&mut case, &actor(8, Role::Dispatcher, Some("XC-CGW")), Command::Register { category: None, region: None, note: None })));
        w.act(&mut case, &dispatcher(), Command::Register { category: None, region: None, note: None }).unwrap();
        w.act(&mut case, &dispatcher(), dispatch("DC-DHM")).unwrap();
        assert!(forbidden(w.act(&mut case, &other_handler(), Command::Accept { note: None })));
        assert!(forbidden(w.act(&mut case, &actor(1, Role::HotlineOperator, None), Command::Supervise { level: SupervisionLevel::General, note: "x".into() })));
        assert_eq!(case.status, CaseStatus::Dispatched);
        assert_eq!(case.version, 3);
    }

    #[test]
    fn a_transition_the_state_does_not_allow_names_the_state_and_the_allowed_actions() {
        let w = World::new();
        let mut case = w.new_case();
        let err = w.act(&mut case, &dispatcher(), dispatch("DC-DHM")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "case 7 is received: dispatch is not allowed; allowed actions: register, reject, merge, supervise"
        );
    }

    #[test]
    fn register_needs_a_specific_category_and_a_known_region() {
        let w = World::new();
        let mut case = w.new_case();
        let d = dispatcher();
        let bad = |category: &str, region: &str| Command::Register { category: Some(category.parse().unwrap()), region: Some(region.parse().unwrap()), note: None };
        assert!(matches!(w.act(&mut case, &d, bad("S01", "110101001000")), Err(DomainError::Invalid { field: "category", .. })));
        assert!(matches!(w.act(&mut case, &d, bad("S0102", "999")), Err(DomainError::Invalid { field: "region", .. })));
        w.act(&mut case, &d, bad("S0201", "110101002000")).unwrap();
        assert_eq!((case.category.as_deref(), case.region.as_deref()), (Some("S0201"), Some("110101002000")));
    }

    #[test]
    fn merging_needs_a_live_target_other_than_itself() {
        let w = World::new();
        let case = w.new_case();
        let d = dispatcher();
        let into_self = Command::Merge { into: CaseId::new(7).unwrap(), note: None };
        assert!(decide(&case, &into_self, &d, &w.ctx(), Some(&case)).is_err());
        assert!(decide(&case, &Command::Merge { into: CaseId::new(8).unwrap(), note: None }, &d, &w.ctx(), None).is_err());
        let mut master = w.new_case();
        master.id = CaseId::new(8).unwrap();
        let change = decide(&case, &Command::Merge { into: CaseId::new(8).unwrap(), note: None }, &d, &w.ctx(), Some(&master)).unwrap();
        assert_eq!(change, Change::Merge { into: CaseId::new(8).unwrap(), note: None });
        master.status = CaseStatus::Merged;
        assert!(decide(&case, &Command::Merge { into: CaseId::new(8).unwrap(), note: None }, &d, &w.ctx(), Some(&master)).is_err());
    }

    #[test]
    fn replaying_the_events_rebuilds_the_same_case() {
        let w = World::new();
        let mut case = w.new_case();
        let mut events = vec![CaseEvent { seq: 1, at: w.now, actor: actor(1, Role::HotlineOperator, None), change: Change::Receive(case.intake.clone()) }];
        let d = dispatcher();
        for command in [Command::Register { category: None, region: None, note: None }, dispatch("DC-DHM")] {
            let change = decide(&case, &command, &d, &w.ctx(), None).unwrap();
            let event = CaseEvent { seq: case.version + 1, at: w.now, actor: d.clone(), change };
            case.apply(&event);
            events.push(event);
        }
        assert_eq!(Case::replay(CaseId::new(7).unwrap(), &events), Some(case));
    }

    #[test]
    fn units_see_only_their_own_cases() {
        let w = World::new();
        let mut case = w.new_case();
        let sees = |who: &Actor, case: &Case| {
            let unit = who.unit.as_deref().and_then(units);
            Visibility::of(who, unit.as_ref(), &w.regions).admits(case)
        };
        assert!(!sees(&handler(), &case));
        case.unit = Some("DC-DHM".parse().unwrap());
        assert!(sees(&handler(), &case));
        assert!(!sees(&other_handler(), &case));
        assert!(sees(&actor(6, Role::GridWorker, Some("DC-DHM")), &case));
        assert!(!sees(&actor(10, Role::GridWorker, Some("XC-CGW")), &case));
        assert!(sees(&actor(1, Role::HotlineOperator, None), &case));
        assert!(sees(&dispatcher(), &case));
        assert!(!sees(&actor(8, Role::Dispatcher, Some("XC-CGW")), &case));
        // The reporter keeps sight of what they filed.
        case.reported_by = 10;
        assert!(sees(&actor(10, Role::GridWorker, Some("XC-CGW")), &case));
    }

    #[test]
    fn commands_parse_from_the_api_json_and_refuse_unknown_fields() {
        let c: Command = serde_json::from_str(r#"{"action":"verify","passed":true}"#).unwrap();
        assert_eq!(c, Command::Verify { passed: true, note: None });
        assert!(serde_json::from_str::<Command>(r#"{"action":"verify"}"#).is_err());
        assert!(serde_json::from_str::<Command>(r#"{"action":"explode"}"#).is_err());
        assert!(serde_json::from_str::<Command>(r#"{"action":"accept","sudo":true}"#).is_err());
        for action in ACTIONS {
            assert!(!permission(action).0.is_empty(), "{action} has roles");
        }
    }
}
