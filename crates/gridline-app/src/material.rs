//! Material review (材料审核) as a service: the office opens half-yearly windows, each district's
//! or street's unit submits its materials (text, then files kept by [`App::store_attachment`])
//! for the clauses whose method is material review, the window's reviewers score each with a
//! comment, and the office settles the joint review (联审). The settled scores (else the
//! reviewers' mean) feed the material-review sub-score of the evaluation's composite and the
//! health report's clause totals; the rules are gridline_core::evaluation::review's.
//!
//! Who may do what: the office (admin, supervisor, dispatcher) opens windows, scores and settles;
//! a window's reviewers score; a unit (handling or member unit) submits for the districts or
//! streets named in its own regions, and sees only those; every other role is refused.

use std::collections::{HashMap, HashSet};

use gridline_core::actor::{Actor, Role};
use gridline_core::evaluation::review::{
    Counted, Joint, MAX_FILES, MaterialReminder, MaterialScore, NewWindow, SettleRule, Settlement, Window, check_comment, check_score, check_text, joint,
    material_clauses, reminders, window_scores,
};
use gridline_core::evaluation::{IndicatorSystem, Method, SamplingLevel};
use gridline_core::period::{Period, day_of};
use gridline_core::region::RegionLevel;
use gridline_store::{ClauseTotal, Submission};
use jiff::Timestamp;
use jiff::civil::Date;
use serde::Serialize;
use sha2::{Digest, Sha256};
use utoipa::ToSchema;

use crate::attachments::Upload;
use crate::evaluation::{ScoreLevel, require_office};
use crate::{App, AppError};

/// A clause a window asks materials for.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct MaterialClause {
    pub code: String,
    pub text: String,
    pub points: f64,
    /// The item (测评项目) it belongs to.
    pub item: String,
}

/// A district or street expected to submit.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct ExpectedRegion {
    pub code: String,
    pub name: String,
}

/// A submission with its joint review.
#[derive(Clone, Debug)]
pub struct Reviewed {
    pub submission: Submission,
    pub region_name: String,
    /// The clause's points under the window's revision.
    pub points: f64,
    pub joint: Joint,
}

/// A window with how far it has come.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct WindowSummary {
    #[serde(flatten)]
    pub window: Window,
    /// Whether submissions are taken today.
    pub open: bool,
    /// Regions × clauses expected (for a unit: its own regions').
    pub expected: usize,
    pub submitted: usize,
    /// Submissions with at least one reviewer's score.
    pub reviewed: usize,
    pub settled: usize,
    /// Submissions whose reviewers disagree and that are not settled yet.
    pub disagreements: usize,
}

/// A window as its page shows it: the clauses, the regions expected (a unit's own), the
/// submissions with their joint reviews (the disagreeing unsettled ones first), the reminders.
#[derive(Clone, Debug)]
pub struct WindowDetail {
    pub summary: WindowSummary,
    pub clauses: Vec<MaterialClause>,
    pub regions: Vec<ExpectedRegion>,
    pub submissions: Vec<Reviewed>,
    /// Whether the asker may score (a reviewer of the window or the office) and settle (the office).
    pub may_score: bool,
    pub may_settle: bool,
}

/// A reminder with the region's name and the units that answer for it.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RegionReminder {
    #[serde(flatten)]
    pub reminder: MaterialReminder,
    pub region_name: String,
    /// The units whose regions name it.
    pub units: Vec<String>,
}

/// Whose part a user plays in material review.
enum Part {
    Office,
    Reviewer,
    /// A unit, with the regions it submits for.
    Unit(Vec<String>),
}

impl Part {
    fn sees(&self, region: &str) -> bool {
        match self {
            Part::Unit(regions) => regions.iter().any(|r| r == region),
            _ => true,
        }
    }
}

fn region_level(level: SamplingLevel) -> RegionLevel {
    match level {
        SamplingLevel::District => RegionLevel::District,
        SamplingLevel::Street => RegionLevel::Street,
    }
}

/// A submission's clause points (under its window's revision) and its joint review.
fn joint_of(submission: &Submission, points: &HashMap<&str, f64>) -> (f64, Joint) {
    let points = points.get(submission.clause.as_str()).copied().unwrap_or(0.0);
    let scores: Vec<f64> = submission.reviews.iter().map(|r| r.score).collect();
    (points, joint(points, &scores, submission.settlement.as_ref()))
}

impl App {
    fn material_part(&self, actor: &Actor) -> Result<Part, AppError> {
        match actor.role {
            Role::Admin | Role::Supervisor | Role::Dispatcher => Ok(Part::Office),
            Role::Inspector => Ok(Part::Reviewer),
            Role::HandlingUnit | Role::MemberUnit => {
                let unit = actor.unit.as_ref().and_then(|code| self.unit(code.as_str()));
                Ok(Part::Unit(unit.map(|u| u.regions).unwrap_or_default()))
            }
            other => Err(AppError::forbidden(format!("role {} takes no part in material review", other.as_str()))),
        }
    }

    /// Whether `actor` sees the materials a region submitted (the files among them).
    pub(crate) fn sees_material_of(&self, actor: &Actor, region: &str) -> bool {
        self.material_part(actor).is_ok_and(|part| part.sees(region))
    }

    /// The regions a window expects materials from, by code.
    fn expected_regions(&self, window: &Window) -> Vec<String> {
        let mut codes: Vec<String> = self.regions.at_level(region_level(window.level)).map(|r| r.code.clone()).collect();
        codes.sort();
        codes
    }

    async fn window_system(&self, window: &Window) -> Result<IndicatorSystem, AppError> {
        let revision = self.store.evaluation().system(window.system_id).await?.ok_or_else(|| AppError::Internal(format!("indicator system {} is missing", window.system_id)))?;
        IndicatorSystem::from_toml(&revision.document, |_| true).map_err(|e| AppError::Internal(format!("stored indicator system {} does not read: {e}", revision.id)))
    }

    async fn material_window_of(&self, id: i64) -> Result<Window, AppError> {
        self.store.material().window(id).await?.ok_or_else(|| AppError::NotFound(format!("material review window {id} not found")))
    }

    /// Opens a window for a half-year under the indicator system in force.
    pub async fn create_material_window(&self, actor: &Actor, new: NewWindow, now: Timestamp) -> Result<Window, AppError> {
        require_office(actor, "open material review windows")?;
        let name = new.validate()?;
        for &id in &new.reviewers {
            match self.store.people().user(id).await? {
                Some(user) if matches!(user.role, Role::Inspector | Role::Supervisor | Role::Dispatcher | Role::Admin) => {}
                Some(user) => {
                    return Err(AppError::invalid("reviewers", format!("user {} is a {}: reviewers are inspectors or the office", user.username, user.role.as_str())));
                }
                None => return Err(AppError::invalid("reviewers", format!("no user {id}"))),
            }
        }
        let system = self.indicator_system().await?;
        if material_clauses(&system.system).next().is_none() {
            return Err(AppError::invalid("half", "the indicator system in force has no material-review clause"));
        }
        let window = Window {
            id: 0,
            half: new.half,
            level: new.level,
            name,
            system_id: system.id,
            opens: new.opens,
            closes: new.closes,
            reviewers: new.reviewers,
            created_by: actor.user_id,
            created_at: now,
        };
        let window = self.store.material().create_window(&window).await?;
        tracing::info!(window = window.id, half = %window.half, user = %actor.username, "material review window opened");
        Ok(window)
    }

    fn summarise(&self, window: Window, system: &IndicatorSystem, part: &Part, reviewed: &[Reviewed], today: Date) -> WindowSummary {
        let clauses = material_clauses(system).count();
        let regions = self.expected_regions(&window).into_iter().filter(|r| part.sees(r)).count();
        WindowSummary {
            open: window.accepts(today),
            expected: regions * clauses,
            submitted: reviewed.len(),
            reviewed: reviewed.iter().filter(|r| r.joint.reviewers > 0).count(),
            settled: reviewed.iter().filter(|r| r.joint.settled).count(),
            disagreements: reviewed.iter().filter(|r| r.joint.disagreement && !r.joint.settled).count(),
            window,
        }
    }

    /// A window's submissions that `part` sees, each with its joint review.
    async fn reviewed(&self, window: &Window, system: &IndicatorSystem, part: &Part) -> Result<Vec<Reviewed>, AppError> {
        let points: HashMap<&str, f64> = material_clauses(system).collect();
        Ok(self
            .store
            .material()
            .submissions(window.id)
            .await?
            .into_iter()
            .filter(|s| part.sees(&s.region))
            .map(|submission| self.with_joint(submission, &points))
            .collect())
    }

    fn with_joint(&self, submission: Submission, points: &HashMap<&str, f64>) -> Reviewed {
        let (points, joint) = joint_of(&submission, points);
        Reviewed { region_name: self.region_name(&submission.region), joint, points, submission }
    }

    /// The windows, newest half first, with their progress (a unit's own regions' only).
    pub async fn material_windows(&self, actor: &Actor, today: Date) -> Result<Vec<WindowSummary>, AppError> {
        let part = self.material_part(actor)?;
        let mut out = Vec::new();
        for window in self.store.material().windows().await? {
            let system = self.window_system(&window).await?;
            let reviewed = self.reviewed(&window, &system, &part).await?;
            out.push(self.summarise(window, &system, &part, &reviewed, today));
        }
        Ok(out)
    }

    /// A window's page: clauses, regions expected, submissions with their joint reviews.
    pub async fn material_window(&self, actor: &Actor, id: i64, today: Date) -> Result<WindowDetail, AppError> {
        let part = self.material_part(actor)?;
        let window = self.material_window_of(id).await?;
        let system = self.window_system(&window).await?;
        let mut submissions = self.reviewed(&window, &system, &part).await?;
        // The joint review's order: disagreeing and unsettled first, then by region and clause.
        submissions.sort_by_key(|r| (!(r.joint.disagreement && !r.joint.settled), r.submission.region.clone(), r.submission.clause.clone()));
        let clauses = system
            .clauses()
            .filter(|p| p.clause.method == Method::MaterialReview)
            .map(|p| MaterialClause { code: p.clause.code.clone(), text: p.clause.text.clone(), points: p.clause.points, item: p.item.name.clone() })
            .collect();
        let regions = self.expected_regions(&window).into_iter().filter(|r| part.sees(r)).map(|code| ExpectedRegion { name: self.region_name(&code), code }).collect();
        let may_score = matches!(part, Part::Office) || window.reviewers.contains(&actor.user_id);
        let may_settle = matches!(part, Part::Office);
        Ok(WindowDetail { summary: self.summarise(window, &system, &part, &submissions, today), clauses, regions, submissions, may_score, may_settle })
    }

    /// A unit's submission for a region and clause. The same text again is acknowledged with the
    /// submission as it was (`false`: not new); a different text for a clause already submitted
    /// is a conflict. Refused: a region the unit does not answer for, a clause that is not
    /// material review, an empty or oversized text, a window not open today.
    pub async fn submit_material(&self, actor: &Actor, window: i64, region: &str, clause: &str, text: &str, now: Timestamp) -> Result<(Reviewed, bool), AppError> {
        let part = self.material_part(actor)?;
        let window = self.material_window_of(window).await?;
        let expected = self.expected_regions(&window);
        if !expected.iter().any(|r| r == region) {
            let level = match window.level {
                SamplingLevel::District => "a district's",
                SamplingLevel::Street => "a street's",
            };
            return Err(AppError::invalid("region", format!("{region:?} is not {level} code, whose materials this window takes")));
        }
        match &part {
            Part::Unit(regions) if regions.iter().any(|r| r == region) => {}
            _ if actor.role == Role::Admin => {}
            Part::Unit(_) => return Err(AppError::forbidden(format!("your unit does not answer for {}; submit for your own region", self.region_name(region)))),
            _ => return Err(AppError::forbidden(format!("role {} does not submit materials: units do", actor.role.as_str()))),
        }
        let system = self.window_system(&window).await?;
        let points: HashMap<&str, f64> = material_clauses(&system).collect();
        if !points.contains_key(clause) {
            let why = match system.clause(clause) {
                Some(p) => format!("clause {clause} is scored by {} (not 材料审核)", p.clause.method.name_zh()),
                None => format!("unknown clause {clause:?}"),
            };
            return Err(AppError::invalid("clause", why));
        }
        let text = check_text(text)?;
        let today = day_of(now);
        if !window.accepts(today) {
            return Err(AppError::Conflict(if today < window.opens {
                format!("the window opens on {}", window.opens)
            } else {
                format!("the window closed on {}; no more submissions are taken", window.closes)
            }));
        }
        let (id, created) = self.store.material().submit(window.id, region, clause, &text, actor.user_id, now).await?;
        let submission = self.store.material().submission(id).await?.ok_or_else(|| AppError::Internal(format!("submission {id} vanished")))?;
        if !created && submission.text != text {
            return Err(AppError::Conflict(format!("{} submitted clause {clause} already (submission {id}), with another text", self.region_name(region))));
        }
        if created {
            tracing::info!(window = window.id, submission = id, %region, %clause, user = %actor.username, "materials submitted");
        }
        Ok((self.with_joint(submission, &points), created))
    }

    /// A submission of `window`, or not found.
    async fn submission_in(&self, window: &Window, id: i64) -> Result<Submission, AppError> {
        self.store
            .material()
            .submission(id)
            .await?
            .filter(|s| s.window == window.id)
            .ok_or_else(|| AppError::NotFound(format!("submission {id} is not in window {}", window.id)))
    }

    /// Adds files to a unit's own submission while the window is open; a file already among the
    /// submission's (the same bytes) is not added twice.
    pub async fn add_material_files(&self, actor: &Actor, window: i64, submission: i64, uploads: Vec<Upload>, now: Timestamp) -> Result<Reviewed, AppError> {
        let part = self.material_part(actor)?;
        let window = self.material_window_of(window).await?;
        let found = self.submission_in(&window, submission).await?;
        if !part.sees(&found.region) {
            return Err(AppError::NotFound(format!("submission {submission} is not in window {}", window.id)));
        }
        if !(matches!(part, Part::Unit(_)) || actor.role == Role::Admin) {
            return Err(AppError::forbidden(format!("role {} does not submit materials: units do", actor.role.as_str())));
        }
        if uploads.is_empty() {
            return Err(AppError::invalid("file", "no file sent"));
        }
        if !window.accepts(day_of(now)) {
            return Err(AppError::Conflict(format!("the window is not open (it takes submissions {} to {})", window.opens, window.closes)));
        }
        let mut known: HashSet<String> = found.files.iter().map(|f| f.sha256.clone()).collect();
        let fresh: Vec<Upload> = uploads.into_iter().filter(|u| known.insert(hex::encode(Sha256::digest(&u.bytes)))).collect();
        if found.files.len() + fresh.len() > MAX_FILES {
            return Err(AppError::invalid("file", format!("a submission has at most {MAX_FILES} files")));
        }
        let mut ids = Vec::with_capacity(fresh.len());
        for upload in fresh {
            ids.push(self.store_attachment(upload, actor, now).await?.id);
        }
        self.store.material().add_files(submission, &ids, now).await?;
        let system = self.window_system(&window).await?;
        let points: HashMap<&str, f64> = material_clauses(&system).collect();
        let updated = self.store.material().submission(submission).await?.ok_or_else(|| AppError::Internal(format!("submission {submission} vanished")))?;
        Ok(self.with_joint(updated, &points))
    }

    /// A reviewer's score (points of the clause) and comment of a submission; a reviewer may
    /// change it until the office settles.
    pub async fn score_material(&self, actor: &Actor, window: i64, submission: i64, score: f64, comment: &str, now: Timestamp) -> Result<Reviewed, AppError> {
        let part = self.material_part(actor)?;
        let window = self.material_window_of(window).await?;
        if !(matches!(part, Part::Office) || window.reviewers.contains(&actor.user_id)) {
            return Err(AppError::forbidden("only the window's reviewers and the office score submissions"));
        }
        let found = self.submission_in(&window, submission).await?;
        let system = self.window_system(&window).await?;
        let points: HashMap<&str, f64> = material_clauses(&system).collect();
        let score = check_score(points.get(found.clause.as_str()).copied().unwrap_or(0.0), score)?;
        let comment = check_comment("comment", Some(comment), true)?.unwrap_or_default();
        if found.settlement.is_some() {
            return Err(AppError::Conflict(format!("submission {submission} is settled: its scores no longer change")));
        }
        self.store.material().score(submission, actor.user_id, score, &comment, now).await?;
        let updated = self.store.material().submission(submission).await?.ok_or_else(|| AppError::Internal(format!("submission {submission} vanished")))?;
        Ok(self.with_joint(updated, &points))
    }

    /// The office settles a submission's score: on the reviewers' mean (`score` none), or on a
    /// score of its own with a note. Settling again replaces the settlement.
    pub async fn settle_material(&self, actor: &Actor, window: i64, submission: i64, score: Option<f64>, note: Option<&str>, now: Timestamp) -> Result<Reviewed, AppError> {
        require_office(actor, "settle material reviews")?;
        let window = self.material_window_of(window).await?;
        let found = self.submission_in(&window, submission).await?;
        let system = self.window_system(&window).await?;
        let points: HashMap<&str, f64> = material_clauses(&system).collect();
        let clause_points = points.get(found.clause.as_str()).copied().unwrap_or(0.0);
        let settlement = match score {
            Some(score) => Settlement {
                score: check_score(clause_points, score)?,
                rule: SettleRule::Hand,
                note: check_comment("note", note, true)?,
                settled_by: actor.user_id,
                settled_at: now,
            },
            None => {
                let mean = joint_of(&found, &points).1.mean.ok_or_else(|| AppError::Conflict(format!("no reviewer has scored submission {submission}: settle by hand or wait")))?;
                Settlement { score: mean, rule: SettleRule::Mean, note: check_comment("note", note, false)?, settled_by: actor.user_id, settled_at: now }
            }
        };
        self.store.material().settle(submission, &settlement).await?;
        tracing::info!(window = window.id, submission, score = settlement.score, rule = settlement.rule.as_str(), user = %actor.username, "material review settled");
        let updated = self.store.material().submission(submission).await?.ok_or_else(|| AppError::Internal(format!("submission {submission} vanished")))?;
        Ok(self.with_joint(updated, &points))
    }

    /// The regions of a window that have not submitted every clause with at most `lead_days`
    /// left before the close (a unit's own only).
    pub async fn material_reminders(&self, actor: &Actor, window: i64, today: Date, lead_days: i32) -> Result<Vec<RegionReminder>, AppError> {
        let part = self.material_part(actor)?;
        let window = self.material_window_of(window).await?;
        let system = self.window_system(&window).await?;
        let submitted: HashSet<(String, String)> = self.store.material().submissions(window.id).await?.into_iter().map(|s| (s.region, s.clause)).collect();
        let regions: Vec<String> = self.expected_regions(&window).into_iter().filter(|r| part.sees(r)).collect();
        let units = self.units();
        Ok(reminders(&window, &system, &regions, &submitted, today, lead_days)
            .into_iter()
            .map(|reminder| RegionReminder {
                region_name: self.region_name(&reminder.region),
                units: units.iter().filter(|u| u.regions.contains(&reminder.region)).map(|u| u.name.clone()).collect(),
                reminder,
            })
            .collect())
    }

    /// What the windows counting in `period` give each region and clause, with the revision
    /// they were scored under (see gridline_core::evaluation::review::window_scores).
    async fn material_scores(&self, period: Period) -> Result<Vec<(i64, MaterialScore)>, AppError> {
        let today = day_of(Timestamp::now());
        let mut out = Vec::new();
        for window in self.store.material().windows_in(period).await? {
            let system = self.window_system(&window).await?;
            let points: HashMap<&str, f64> = material_clauses(&system).collect();
            let counted: Vec<Counted> = self
                .store
                .material()
                .submissions(window.id)
                .await?
                .into_iter()
                .map(|s| Counted { score: joint_of(&s, &points).1.score, region: s.region, clause: s.clause })
                .collect();
            let scores = window_scores(&system, &self.expected_regions(&window), window.closed(today), &counted);
            out.extend(scores.into_iter().map(|s| (window.system_id, s)));
        }
        Ok(out)
    }

    /// The material-review 得分率 per district or street over `period`: every counted clause of
    /// the region (a district's own, and its streets' pooled) over the points possible.
    pub(crate) async fn material_tallies(&self, period: Period, level: ScoreLevel) -> Result<HashMap<String, gridline_core::evaluation::Tally>, AppError> {
        let mut out: HashMap<String, gridline_core::evaluation::Tally> = HashMap::new();
        for (_, s) in self.material_scores(period).await? {
            out.entry(level.key(&s.region)).or_default().add(s.earned, s.possible);
        }
        Ok(out)
    }

    /// The material-review clauses of `period` as the health report's clause totals.
    pub(crate) async fn material_clause_totals(&self, period: Period) -> Result<Vec<ClauseTotal>, AppError> {
        Ok(self
            .material_scores(period)
            .await?
            .into_iter()
            .map(|(system_id, s)| ClauseTotal { region: s.region, system_id, clause: s.clause, earned: s.earned, possible: s.possible })
            .collect())
    }
}
