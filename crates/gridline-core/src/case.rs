//! A case (工单/案件) and its events. Events are the source of truth; [`Case`] is their
//! projection, rebuilt by [`Case::apply`] without any outside knowledge.

use jiff::Timestamp;
use serde::{Deserialize, Serialize};

use crate::actor::{Actor, Role};
use crate::DomainError;
use crate::crosswalk::SourceCode;
use crate::sla::{SlaClock, TimeLimit};

pub use crate::ids::{CaseId, CategoryCode, RegionCode, UnitCode};

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Channel {
    /// 12345 市民服务热线.
    Hotline,
    /// 网格员主动发现.
    Grid,
    /// 创城抽查抽测.
    Inspection,
    /// 背街小巷巡查.
    AlleyPatrol,
    /// Citizens on the web or through Open311.
    Public,
    /// Bulk files from older systems.
    Import,
}

impl Channel {
    pub const ALL: [Channel; 6] =
        [Channel::Hotline, Channel::Grid, Channel::Inspection, Channel::AlleyPatrol, Channel::Public, Channel::Import];

    pub fn as_str(self) -> &'static str {
        match self {
            Channel::Hotline => "hotline",
            Channel::Grid => "grid",
            Channel::Inspection => "inspection",
            Channel::AlleyPatrol => "alley_patrol",
            Channel::Public => "public",
            Channel::Import => "import",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        Channel::ALL.into_iter().find(|c| c.as_str() == text)
    }

    /// The channels a role may file cases through.
    pub fn open_to(self, role: Role) -> bool {
        match role {
            Role::Admin | Role::Dispatcher => true,
            Role::HotlineOperator => matches!(self, Channel::Hotline | Channel::Public),
            Role::GridWorker => matches!(self, Channel::Grid | Channel::AlleyPatrol),
            Role::Inspector => matches!(self, Channel::Inspection | Channel::AlleyPatrol),
            Role::HandlingUnit | Role::MemberUnit | Role::Supervisor => false,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum CaseStatus {
    /// 受理
    Received,
    /// 立案
    Registered,
    /// 不予立案 (final)
    Rejected,
    /// 并案 into another case (final)
    Merged,
    /// 派遣
    Dispatched,
    /// 退单: back with the dispatcher
    Returned,
    /// 签收
    Accepted,
    /// 处置反馈
    Handled,
    /// 核查通过, 结案
    Closed,
    /// 回访完成 (final)
    CalledBack,
}

impl CaseStatus {
    pub const ALL: [CaseStatus; 10] = [
        CaseStatus::Received,
        CaseStatus::Registered,
        CaseStatus::Rejected,
        CaseStatus::Merged,
        CaseStatus::Dispatched,
        CaseStatus::Returned,
        CaseStatus::Accepted,
        CaseStatus::Handled,
        CaseStatus::Closed,
        CaseStatus::CalledBack,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            CaseStatus::Received => "received",
            CaseStatus::Registered => "registered",
            CaseStatus::Rejected => "rejected",
            CaseStatus::Merged => "merged",
            CaseStatus::Dispatched => "dispatched",
            CaseStatus::Returned => "returned",
            CaseStatus::Accepted => "accepted",
            CaseStatus::Handled => "handled",
            CaseStatus::Closed => "closed",
            CaseStatus::CalledBack => "called_back",
        }
    }

    pub fn parse(text: &str) -> Option<Self> {
        CaseStatus::ALL.into_iter().find(|s| s.as_str() == text)
    }

    /// Still waiting for a fix: supervision can be raised and the clock matters.
    pub fn is_open(self) -> bool {
        !matches!(self, CaseStatus::Rejected | CaseStatus::Merged | CaseStatus::Closed | CaseStatus::CalledBack)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum Satisfaction {
    Satisfied,
    BasicallySatisfied,
    Dissatisfied,
}

impl Satisfaction {
    pub const ALL: [Satisfaction; 3] = [Satisfaction::Satisfied, Satisfaction::BasicallySatisfied, Satisfaction::Dissatisfied];

    /// The name used in the API, exports and import mappings (its serde name).
    pub fn as_str(self) -> &'static str {
        match self {
            Satisfaction::Satisfied => "satisfied",
            Satisfaction::BasicallySatisfied => "basically_satisfied",
            Satisfaction::Dissatisfied => "dissatisfied",
        }
    }

    pub fn parse(name: &str) -> Option<Satisfaction> {
        Satisfaction::ALL.into_iter().find(|s| s.as_str() == name)
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SupervisionLevel {
    /// 一般督办
    General,
    /// 重点督办
    Key,
    /// 紧急督办
    Urgent,
}

#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct GeoPoint {
    pub lat: f64,
    pub lon: f64,
}

#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct Reporter {
    #[serde(default)]
    pub name: Option<String>,
    #[serde(default)]
    pub phone: Option<String>,
}

/// What the intake channel tells about a new case: the payload of its first event.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Intake {
    pub channel: Channel,
    pub external_id: Option<String>,
    pub category: Option<CategoryCode>,
    pub category_version: Option<u32>,
    /// The case's code in the channel's own taxonomy, kept beside the unified category.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub source: Option<SourceCode>,
    /// Marked as an emergency: the catalogue's emergency time limit applies.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub emergency: bool,
    pub region: Option<RegionCode>,
    pub title: String,
    pub description: String,
    pub address: Option<String>,
    pub location: Option<GeoPoint>,
    pub reporter: Option<Reporter>,
    pub photos: Vec<String>,
    /// The category the text classifier suggested at intake, kept with the case so that the
    /// dispatcher sees it and a different choice by an operator becomes training data.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub suggestion: Option<CategorySuggestion>,
}

/// A suggested category: the best one with its confidence and the three best.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct CategorySuggestion {
    pub label: String,
    pub confidence: f32,
    pub top: Vec<SuggestedCategory>,
    pub source: SuggestionSource,
    /// Whether the case was filed under `label` because the confidence reached the threshold.
    pub auto_filed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
pub struct SuggestedCategory {
    pub label: String,
    pub confidence: f32,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum SuggestionSource {
    /// A trained classifier.
    Model,
    /// The catalogue's names and keywords (no model loaded).
    Keywords,
}

/// What happened to a case. Decided values (deadlines, the remaining time) are recorded so that
/// replaying events needs neither the calendar nor the catalogue.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "action", rename_all = "snake_case")]
// The intake is the large variant and every case has exactly one: boxing it would add an
// allocation to each intake to save space in a few short-lived vectors of events.
#[allow(clippy::large_enum_variant)]
pub enum Change {
    Receive(Intake),
    Register { category: CategoryCode, category_version: u32, region: RegionCode, note: Option<String> },
    Reject { reason: String },
    Merge { into: CaseId, note: Option<String> },
    Dispatch {
        unit: UnitCode,
        clock: SlaClock,
        note: Option<String>,
        /// The routing rule that chose the unit when registration dispatched on its own.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        rule: Option<String>,
    },
    Accept { note: Option<String> },
    Return { reason: String },
    Handle { feedback: String, photos: Vec<String> },
    Verify { passed: bool, note: Option<String> },
    Callback { resolved: bool, satisfaction: Satisfaction, note: Option<String> },
    RequestExtension { extension: TimeLimit, reason: String },
    ApproveExtension { approved: bool, clock: Option<SlaClock>, note: Option<String> },
    Suspend { reason: String, clock: SlaClock },
    Resume { clock: SlaClock, note: Option<String> },
    Supervise { level: SupervisionLevel, note: String },
}

impl Change {
    pub fn action(&self) -> &'static str {
        match self {
            Change::Receive(_) => "receive",
            Change::Register { .. } => "register",
            Change::Reject { .. } => "reject",
            Change::Merge { .. } => "merge",
            Change::Dispatch { .. } => "dispatch",
            Change::Accept { .. } => "accept",
            Change::Return { .. } => "return",
            Change::Handle { .. } => "handle",
            Change::Verify { .. } => "verify",
            Change::Callback { .. } => "callback",
            Change::RequestExtension { .. } => "request_extension",
            Change::ApproveExtension { .. } => "approve_extension",
            Change::Suspend { .. } => "suspend",
            Change::Resume { .. } => "resume",
            Change::Supervise { .. } => "supervise",
        }
    }

    /// The human note of the event: a reason, a feedback text or a remark.
    pub fn note(&self) -> Option<&str> {
        match self {
            Change::Receive(intake) => Some(intake.title.as_str()),
            Change::Reject { reason } | Change::Return { reason } | Change::Suspend { reason, .. } => Some(reason),
            Change::RequestExtension { reason, .. } => Some(reason),
            Change::Handle { feedback, .. } => Some(feedback),
            Change::Supervise { note, .. } => Some(note),
            Change::Register { note, .. }
            | Change::Merge { note, .. }
            | Change::Dispatch { note, .. }
            | Change::Accept { note }
            | Change::Verify { note, .. }
            | Change::Callback { note, .. }
            | Change::ApproveExtension { note, .. }
            | Change::Resume { note, .. } => note.as_deref(),
        }
    }
}

/// One entry of a case's history: who did what, when.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CaseEvent {
    /// 1 for the intake event, then one more per event.
    pub seq: u32,
    pub at: Timestamp,
    pub actor: Actor,
    pub change: Change,
}

/// Most photos a case or a handling report carries.
pub const MAX_PHOTOS: usize = 20;
const MAX_PHOTO_BYTES: usize = 1000;

/// Whether a photo reference may be stored and drawn as a link: an `http(s)://` URL with a host,
/// or a relative reference to the platform's own files (`/media/1.jpg`, `1.jpg`). Any other scheme
/// (`javascript:`, `data:`, `file:`), a protocol-relative `//host`, backslashes, spaces and control
/// characters (which browsers strip, so `java\tscript:` is `javascript:`) are refused.
pub fn photo_reference_ok(photo: &str) -> bool {
    if photo.is_empty()
        || photo.len() > MAX_PHOTO_BYTES
        || photo.chars().any(|c| c.is_control() || c.is_whitespace() || c == '\\')
        || photo.starts_with("//")
    {
        return false;
    }
    // A scheme is what comes before the first ':' when no '/', '?' or '#' comes before it.
    match photo.find([':', '/', '?', '#']) {
        Some(at) if photo[at..].starts_with(':') => {
            let scheme = photo[..at].to_ascii_lowercase();
            (scheme == "http" || scheme == "https")
                && photo[at..].strip_prefix("://").is_some_and(|rest| !rest.is_empty() && !rest.starts_with('/'))
        }
        _ => true,
    }
}

/// Checks the photos of a case or a handling report: at most [`MAX_PHOTOS`], each a reference
/// [`photo_reference_ok`] takes.
pub fn check_photos(photos: &[String]) -> Result<(), DomainError> {
    if photos.len() > MAX_PHOTOS {
        return Err(DomainError::invalid("photos", format!("at most {MAX_PHOTOS} photos")));
    }
    if let Some(bad) = photos.iter().find(|p| !photo_reference_ok(p)) {
        let shown: String = bad.chars().take(60).collect();
        return Err(DomainError::invalid(
            "photos",
            format!("photo {shown:?} is not an http(s) URL or a path of this platform (at most {MAX_PHOTO_BYTES} bytes)"),
        ));
    }
    Ok(())
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Feedback {
    pub text: String,
    pub photos: Vec<String>,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct CallbackRecord {
    pub resolved: bool,
    pub satisfaction: Satisfaction,
    pub note: Option<String>,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct ExtensionRequest {
    pub extension: TimeLimit,
    pub reason: String,
    pub requested_by: i64,
    pub at: Timestamp,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Suspension {
    pub reason: String,
    pub at: Timestamp,
}

/// The projection of a case's events. Serialised, it is the document the store keeps of it:
/// without its id (the row's key) and its intake (its first event holds it), which a reader
/// puts back, so that neither is stored twice nor serialised only to be cut out again.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Case {
    #[serde(skip_serializing)]
    pub id: CaseId,
    /// How many events the case has; the sequence number of the last one.
    pub version: u32,
    pub status: CaseStatus,
    #[serde(skip_serializing)]
    pub intake: Intake,
    pub category: Option<CategoryCode>,
    pub category_version: Option<u32>,
    pub region: Option<RegionCode>,
    pub reported_by: i64,
    pub unit: Option<UnitCode>,
    pub clock: Option<SlaClock>,
    pub suspension: Option<Suspension>,
    pub pending_extension: Option<ExtensionRequest>,
    pub feedback: Option<Feedback>,
    pub callback: Option<CallbackRecord>,
    pub merged_into: Option<CaseId>,
    pub reject_reason: Option<String>,
    pub return_reason: Option<String>,
    pub rework_count: u32,
    pub return_count: u32,
    pub extension_count: u32,
    pub supervision_count: u32,
    pub supervision_level: Option<SupervisionLevel>,
    pub received_at: Timestamp,
    pub registered_at: Option<Timestamp>,
    pub dispatched_at: Option<Timestamp>,
    pub accepted_at: Option<Timestamp>,
    pub handled_at: Option<Timestamp>,
    pub closed_at: Option<Timestamp>,
    pub called_back_at: Option<Timestamp>,
    /// Closed after its deadline.
    pub closed_late: Option<bool>,
    pub updated_at: Timestamp,
}

impl Case {
    /// A case as its intake event creates it.
    pub fn received(id: CaseId, event: &CaseEvent) -> Option<Case> {
        let Change::Receive(intake) = &event.change else { return None };
        Some(Case {
            id,
            version: event.seq,
            status: CaseStatus::Received,
            category: intake.category.clone(),
            category_version: intake.category_version,
            region: intake.region.clone(),
            intake: intake.clone(),
            reported_by: event.actor.user_id,
            unit: None,
            clock: None,
            suspension: None,
            pending_extension: None,
            feedback: None,
            callback: None,
            merged_into: None,
            reject_reason: None,
            return_reason: None,
            rework_count: 0,
            return_count: 0,
            extension_count: 0,
            supervision_count: 0,
            supervision_level: None,
            received_at: event.at,
            registered_at: None,
            dispatched_at: None,
            accepted_at: None,
            handled_at: None,
            closed_at: None,
            called_back_at: None,
            closed_late: None,
            updated_at: event.at,
        })
    }

    /// Rebuilds a case from its whole history.
    pub fn replay(id: CaseId, events: &[CaseEvent]) -> Option<Case> {
        let (first, rest) = events.split_first()?;
        let mut case = Case::received(id, first)?;
        for event in rest {
            case.apply(event);
        }
        Some(case)
    }

    /// Folds one event into the projection. Events were validated when decided, so this never fails.
    pub fn apply(&mut self, event: &CaseEvent) {
        let at = event.at;
        self.version = event.seq;
        self.updated_at = at;
        match &event.change {
            Change::Receive(_) => {}
            Change::Register { category, category_version, region, .. } => {
                self.status = CaseStatus::Registered;
                self.category = Some(category.clone());
                self.category_version = Some(*category_version);
                self.region = Some(region.clone());
                self.registered_at = Some(at);
            }
            Change::Reject { reason } => {
                self.status = CaseStatus::Rejected;
                self.reject_reason = Some(reason.clone());
                self.closed_at = Some(at);
            }
            Change::Merge { into, .. } => {
                self.status = CaseStatus::Merged;
                self.merged_into = Some(*into);
                self.closed_at = Some(at);
            }
            Change::Dispatch { unit, clock, .. } => {
                self.status = CaseStatus::Dispatched;
                self.unit = Some(unit.clone());
                self.clock = Some(clock.clone());
                self.dispatched_at = Some(at);
                self.return_reason = None;
            }
            Change::Accept { .. } => {
                self.status = CaseStatus::Accepted;
                self.accepted_at = Some(at);
            }
            Change::Return { reason } => {
                self.status = CaseStatus::Returned;
                self.return_reason = Some(reason.clone());
                self.return_count += 1;
                self.unit = None;
                self.clock = None;
                self.pending_extension = None;
            }
            Change::Handle { feedback, photos } => {
                self.status = CaseStatus::Handled;
                self.feedback = Some(Feedback { text: feedback.clone(), photos: photos.clone(), at });
                self.handled_at = Some(at);
            }
            Change::Verify { passed: true, .. } => {
                self.status = CaseStatus::Closed;
                self.closed_at = Some(at);
                self.closed_late = self.clock.as_ref().map(|c| self.handled_at.unwrap_or(at) > c.deadline);
                self.pending_extension = None;
            }
            Change::Verify { passed: false, .. } => {
                self.status = CaseStatus::Accepted;
                self.rework_count += 1;
            }
            Change::Callback { resolved, satisfaction, note } => {
                self.status = CaseStatus::CalledBack;
                self.callback =
                    Some(CallbackRecord { resolved: *resolved, satisfaction: *satisfaction, note: note.clone(), at });
                self.called_back_at = Some(at);
            }
            Change::RequestExtension { extension, reason } => {
                self.pending_extension = Some(ExtensionRequest {
                    extension: *extension,
                    reason: reason.clone(),
                    requested_by: event.actor.user_id,
                    at,
                });
            }
            Change::ApproveExtension { approved, clock, .. } => {
                self.pending_extension = None;
                if *approved {
                    self.extension_count += 1;
                }
                if let Some(clock) = clock {
                    self.clock = Some(clock.clone());
                }
            }
            Change::Suspend { reason, clock } => {
                self.suspension = Some(Suspension { reason: reason.clone(), at });
                self.clock = Some(clock.clone());
            }
            Change::Resume { clock, .. } => {
                self.suspension = None;
                self.clock = Some(clock.clone());
            }
            Change::Supervise { level, .. } => {
                self.supervision_count += 1;
                self.supervision_level = self.supervision_level.max(Some(*level));
            }
        }
    }

    pub fn is_suspended(&self) -> bool {
        self.suspension.is_some()
    }

    /// The clock that matters now: a case waiting on its unit (dispatched or accepted) runs against
    /// its deadline; once handled, the unit's part is done and verification is not its time.
    pub fn running_clock(&self) -> Option<&SlaClock> {
        match self.status {
            CaseStatus::Dispatched | CaseStatus::Accepted => self.clock.as_ref(),
            _ => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn photos_are_http_urls_or_paths_of_the_platform() {
        for ok in ["https://img.example.cn/a.jpg", "HTTP://img.example.cn/a.jpg?x=1", "/media/12/a.jpg", "a.jpg", "photos/2024/b.png", "a.jpg#1"] {
            assert!(photo_reference_ok(ok), "{ok}");
        }
        for bad in [
            "javascript:alert(1)", "JavaScript:alert(1)", "java\tscript:alert(1)", " javascript:alert(1)", "data:image/png;base64,xx",
            "file:///etc/passwd", "//evil.example/a.jpg", "/\\evil.example", "https:evil.example", "https:///a", "http://", "vbscript:x",
            "", "a b.jpg", "a:b.jpg",
        ] {
            assert!(!photo_reference_ok(bad), "{bad:?}");
        }
        assert!(check_photos(&vec!["a.jpg".to_owned(); MAX_PHOTOS]).is_ok());
        assert!(check_photos(&vec!["a.jpg".to_owned(); MAX_PHOTOS + 1]).is_err());
        assert!(check_photos(&["a.jpg".to_owned(), "javascript:alert(1)".to_owned()]).is_err());
    }

    #[test]
    fn satisfaction_names_are_their_serde_names_and_parse_back() {
        for satisfaction in Satisfaction::ALL {
            let json = serde_json::to_value(satisfaction).unwrap();
            assert_eq!(json.as_str(), Some(satisfaction.as_str()));
            assert_eq!(Satisfaction::parse(satisfaction.as_str()), Some(satisfaction));
        }
        assert_eq!(Satisfaction::parse("满意"), None);
    }
}
