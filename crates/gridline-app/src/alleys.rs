//! 背街小巷 as a service: the registry (imported whole or not at all), the stewards' daily patrols
//! — each problem filed as a case through [`App::file_case`] on the alley patrol channel, routed
//! to the street office and caught by the duplicate index like any case — the streets' weekly
//! checks, the month's evaluation (score, downgrade and restore, listed supervision on the one
//! `listings` mechanism, the titles' re-checks) and the rankings.

use std::collections::{HashMap, HashSet};
use std::sync::OnceLock;

use aho_corasick::AhoCorasick;
use gridline_core::actor::{Actor, Role};
use gridline_core::alley::{
    Alley, AlleyRules, Change, NewAlley, NewPatrol, Patrol, Problem, WeeklyCheck, builtin_standard, listing_passes, month_score,
    named_worst, score_visit, standard_version,
};
use gridline_core::attachment::Stage;
use gridline_core::case::{CaseId, Channel, Intake};
use gridline_core::evaluation::{IndicatorSystem, InspectionPoint};
use gridline_core::ids::RegionCode;
use gridline_core::region::RegionLevel;
use gridline_core::period::{Month, Period, day_of};
use gridline_core::ranking::competition_ranks;
use gridline_core::supervision::{Listing, ListingKind, NewListing};
use gridline_core::{DomainError, FileProblem, Reason};
use gridline_geo::lines::LineIndex;
use gridline_geo::{Geography, LatLon};
use gridline_store::{AlleyEntry, CaseSketch, CoverageRow, ListingStep, MonthOutcome, ScoreRecord, StoreError};
use jiff::civil::Date;
use jiff::{SignedDuration, Timestamp};
use serde::Serialize;
use utoipa::ToSchema;

use crate::attachments::{Upload, check_attaching, check_upload};
use crate::evaluation::require_office;
use crate::{App, AppError};

/// The alley standard in force (十无 · 五好 · 四有), built in from data/alleys/standard.toml.
pub fn alley_standard() -> &'static IndicatorSystem {
    static STANDARD: OnceLock<IndicatorSystem> = OnceLock::new();
    STANDARD.get_or_init(builtin_standard)
}

/// An alley with everything its page shows.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlleyDetail {
    pub alley: Alley,
    pub listed: bool,
    /// Its open listing (挂牌督办), if any.
    pub listing: Option<Listing>,
    /// Monthly scores, oldest first.
    pub scores: Vec<AlleyMonth>,
    /// What the months changed (grade, listing, title), in order.
    pub history: Vec<AlleyHistoryEntry>,
    /// The latest 30 patrols, newest first.
    pub patrols: Vec<Patrol>,
    /// The latest 12 weekly checks, newest first.
    pub checks: Vec<WeeklyCheck>,
    /// The 12345 and other cases its latest monthly score counted (near its line or naming it).
    pub cases: Vec<AlleyCase>,
}

/// A case counted on an alley in a month's score.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlleyCase {
    pub month: Month,
    pub id: CaseId,
    pub channel: Channel,
    /// The beginning of its text (title and description).
    pub text: String,
}

/// One month's score of an alley.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlleyMonth {
    pub month: Month,
    #[serde(flatten)]
    pub score: gridline_core::alley::MonthScore,
    pub grade: gridline_core::alley::Grade,
}

impl From<ScoreRecord> for AlleyMonth {
    fn from(r: ScoreRecord) -> Self {
        AlleyMonth { month: r.month, score: r.score, grade: r.grade }
    }
}

#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlleyHistoryEntry {
    pub month: Month,
    pub change: Change,
}

/// What a month's evaluation did.
#[derive(Clone, Debug, Default, PartialEq, Serialize, ToSchema)]
pub struct MonthSummary {
    pub scored: usize,
    /// Alleys without a weekly check in the month, left unscored.
    pub unscored: usize,
    pub downgraded: usize,
    pub restored: usize,
    pub listed: usize,
    pub delisted: usize,
    pub title_changes: usize,
    /// Cases of the month counted on some alley.
    pub cases_on_alleys: usize,
}

/// A row of the monthly ranking, with its ranks in its street, its district and the city.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct RankedAlley {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub street: String,
    pub street_name: String,
    pub district: String,
    pub district_name: String,
    pub score: f64,
    pub grade: gridline_core::alley::Grade,
    pub rank_in_street: u32,
    pub rank_in_district: u32,
    pub rank_in_city: u32,
}

/// A month's alley ranking within a region, best first.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct AlleyRanking {
    pub month: Month,
    pub region: String,
    pub region_name: String,
    pub items: Vec<RankedAlley>,
    /// The worst of the quarter ending with this month (季点名), worst first; empty unless the
    /// month ends a quarter.
    pub named_worst: Vec<NamedAlley>,
}

/// An alley named in the quarter's notice: its mean score over the quarter.
#[derive(Clone, Debug, Serialize, ToSchema)]
pub struct NamedAlley {
    pub id: i64,
    pub code: String,
    pub name: String,
    pub street_name: String,
    pub quarter_mean: f64,
}

/// How many alleys the quarter's notice names in a ranking.
pub const NAMED_PER_QUARTER: usize = 10;

/// The first instant after a month.
fn month_end(month: Month) -> Timestamp {
    month.plus(1).start()
}

impl App {
    /// Registers the alleys of an office's file, all or none. Each row is checked (code, name,
    /// line, grade), its line must lie in the city (every vertex in one of its streets) and its
    /// code must be new in the file and in the registry; every problem is reported with its row
    /// number and nothing is written while there is one.
    pub async fn import_alleys(&self, actor: &Actor, rows: Vec<(usize, Result<NewAlley, String>)>, now: Timestamp) -> Result<Vec<Alley>, AppError> {
        require_office(actor, "register alleys")?;
        let geography = Geography::beijing();
        let mut problems = Vec::new();
        let mut seen = HashSet::new();
        let mut ready = Vec::new();
        for (row, parsed) in rows {
            let mut problem = |reason: Reason, message: String| problems.push(FileProblem::detailed("alleys", Some(row), reason, message));
            let new = match parsed {
                // The reader's own words (the command line's): the row is told as a whole.
                Ok(new) => new,
                Err(message) => {
                    problem(Reason::new("bad_row"), message);
                    continue;
                }
            };
            let (point, rest) = match new.validate(|code| self.unit(code).is_some()) {
                Ok(checked) => checked,
                Err(err) => {
                    let told = match err.field() {
                        Some(field) => FileProblem::of_cell("alleys", row, field, &err),
                        None => FileProblem::of_row("alleys", row, &err),
                    };
                    problem(told.reason, format!("{}{err}", err.field().map(|f| format!("{f}: ")).unwrap_or_default()));
                    continue;
                }
            };
            if !seen.insert(point.code.clone()) {
                problem(Reason::new("code_twice").with("code", &point.code), format!("code {:?} is used twice in the file", point.code));
                continue;
            }
            let gridline_core::evaluation::Location::Line { points } = &point.location else { unreachable!("an alley is a line") };
            if let Some(outside) = points.iter().find(|p| geography.street_at(LatLon { lat: p.lat, lon: p.lon }).is_none()) {
                problem(
                    Reason::new("outside_city").with("lat", outside.lat).with("lon", outside.lon),
                    format!("line: ({}, {}) lies outside the city's streets", outside.lat, outside.lon),
                );
                continue;
            }
            let anchor = point.location.anchor();
            let street = geography.street_at(LatLon { lat: anchor.lat, lon: anchor.lon }).map(str::to_owned).unwrap_or_default();
            let region = RegionCode::parse(&street)?;
            if self.store.evaluation().point_by_code(&point.code).await?.is_some() {
                problem(Reason::new("code_registered").with("code", &point.code), format!("code {:?} is registered already", point.code));
                continue;
            }
            let point = InspectionPoint {
                id: 0,
                code: point.code,
                name: point.name,
                point_type: point.point_type,
                location: point.location,
                region,
                unit: point.unit,
                address: point.address,
            };
            ready.push((point, rest));
        }
        if !problems.is_empty() {
            return Err(DomainError::InvalidFiles(problems).into());
        }
        let titled: Vec<(usize, Month)> = ready.iter().enumerate().filter_map(|(i, (_, r))| r.title_named_in.map(|m| (i, m))).collect();
        let created = self.store.alleys().create_many(ready, now).await.map_err(|e| match e {
            StoreError::Duplicate(message) => AppError::Conflict(message),
            other => other.into(),
        })?;
        for (i, month) in titled {
            self.store.alleys().add_changes(created[i].point.id, month, &[Change::TitleNamed], now).await?;
        }
        tracing::info!(alleys = created.len(), user = %actor.username, "alleys registered");
        Ok(created)
    }

    /// Makes users stewards (小巷管家) of alleys: `(alley, user)` pairs.
    pub async fn assign_stewards(&self, actor: &Actor, pairs: &[(i64, i64)]) -> Result<(), AppError> {
        require_office(actor, "assign alley stewards")?;
        Ok(self.store.alleys().assign_stewards(pairs).await?)
    }

    /// The alleys under a region (its code) with their score of `month` and listing.
    pub async fn alley_map(&self, region: Option<&str>, month: Month) -> Result<Vec<AlleyEntry>, AppError> {
        let (_, _, prefix) = self.alley_scope(region)?;
        Ok(self.store.alleys().entries(&prefix, month).await?)
    }

    /// A region asked for (the city when `None`): its code, name and code prefix.
    fn alley_scope(&self, region: Option<&str>) -> Result<(String, String, String), AppError> {
        let region = match region {
            Some(code) => self.regions.get(code).ok_or_else(|| AppError::invalid("region", format!("unknown region {code:?}")))?,
            None => self.regions.at_level(RegionLevel::City).next().ok_or_else(|| AppError::Internal("the region tree has no city".into()))?,
        };
        Ok((region.code.clone(), region.name.clone(), self.region_prefix(&region.code)?))
    }

    /// An alley's page: the alley, its listing, scores, history, patrols and checks.
    pub async fn alley_detail(&self, id: i64) -> Result<AlleyDetail, AppError> {
        let alley = self.store.alleys().get(id).await?.ok_or_else(|| AppError::NotFound(format!("alley {id} not found")))?;
        let listing = self.store.listings().open_of(ListingKind::Alley, &alley.point.code).await?;
        let (scores, changes) = self.store.alleys().history(id).await?;
        // The cases its latest score counted, found again as the month's evaluation found them.
        let cases = match scores.last() {
            Some(latest) => {
                let (found, by_alley) = self.cases_by_alley(std::slice::from_ref(&alley), latest.month, &AlleyRules::default()).await?;
                by_alley
                    .get(&id)
                    .into_iter()
                    .flatten()
                    .map(|&c| AlleyCase { month: latest.month, id: found[c].id, channel: found[c].channel, text: found[c].text.chars().take(120).collect() })
                    .collect()
            }
            None => Vec::new(),
        };
        Ok(AlleyDetail {
            cases,
            listed: listing.is_some(),
            listing,
            scores: scores.into_iter().map(AlleyMonth::from).collect(),
            history: changes.into_iter().map(|(month, change)| AlleyHistoryEntry { month, change }).collect(),
            patrols: self.store.alleys().patrols_of(id, 30).await?,
            checks: self.store.alleys().checks_of(id, 12).await?,
            alley,
        })
    }

    /// Records a steward's daily patrol (日巡) of an alley assigned to them. The phone's id makes
    /// it idempotent: the same patrol sent again is answered with the one stored (`false`), a
    /// different one under the same id is a conflict. Each problem is filed as a case (alley
    /// patrol channel, the clause's catalogue entry, the alley's street and position) before the
    /// patrol is stored; a retry files none twice (the case's external id is the patrol's).
    pub async fn submit_patrol(&self, actor: &Actor, alley_id: i64, new: NewPatrol, now: Timestamp) -> Result<(Patrol, bool), AppError> {
        self.submit_patrol_with_photos(actor, alley_id, new, vec![], now).await
    }

    /// [`App::submit_patrol`] with the photos the steward took: each is kept once by the
    /// attachments service ([`App::store_attachment`]) and added to every case the patrol files,
    /// at the intake stage. Photos go with problems (none without one), and every photo is
    /// checked by its bytes before anything is filed or kept: a refused one (not an image, too
    /// big, unreadable, too many) leaves nothing written. Sent again, the patrol is answered with
    /// the one stored and its photos are not added twice.
    pub async fn submit_patrol_with_photos(&self, actor: &Actor, alley_id: i64, new: NewPatrol, photos: Vec<Upload>, now: Timestamp) -> Result<(Patrol, bool), AppError> {
        new.check()?;
        // One at a time per patrol id: a phone that sends again while its first attempt is still
        // being filed must meet the patrol stored, not file and attach its photos beside it.
        let stripe = new.id.bytes().fold(0usize, |h, b| h.wrapping_mul(31).wrapping_add(usize::from(b))) % self.patrol_locks.len();
        let _turn = self.patrol_locks[stripe].lock().await;
        let alley = self.store.alleys().get(alley_id).await?.ok_or_else(|| AppError::NotFound(format!("alley {alley_id} not found")))?;
        if !Channel::AlleyPatrol.open_to(actor.role) || !self.store.alleys().is_steward(alley_id, actor.user_id).await? {
            return Err(AppError::forbidden(format!("alley {} ({}) is not assigned to {} for patrol", alley.point.code, alley.point.name, actor.username)));
        }
        if let Some(stored) = self.store.alleys().patrol(&new.id).await? {
            return if stored.same_as(alley_id, actor.user_id, &new) {
                Ok((stored, false))
            } else {
                Err(AppError::Conflict(format!("patrol {} was recorded before with other content", new.id)))
            };
        }
        let visit = score_visit(alley_standard(), new.problems.clone())?;
        if !photos.is_empty() {
            if visit.problems.is_empty() {
                return Err(AppError::Domain(DomainError::Refused(Reason::new("patrol_photos_without_problem").on("photo"))));
            }
            check_attaching(Stage::Intake, photos.len(), actor)?;
            for photo in &photos {
                check_upload(photo)?;
            }
        }
        let mut problems = Vec::with_capacity(visit.problems.len());
        let mut cases = Vec::with_capacity(visit.problems.len());
        for (problem, clause) in visit.problems {
            let category = clause.case_category.clone().ok_or_else(|| AppError::Internal(format!("clause {} has no case category", clause.code)))?;
            let version = self.reference().catalogue.check_fileable(&category)?.version;
            let found = problem.count.map(|n| format!("，{n} 处")).unwrap_or_default();
            let note = problem.note.as_deref().map(|n| format!("。{n}")).unwrap_or_default();
            let intake = Intake {
                channel: Channel::AlleyPatrol,
                external_id: Some(format!("alley-patrol:{}:{}", new.id, clause.code)),
                category: Some(category),
                category_version: Some(version),
                source: None,
                emergency: false,
                region: Some(alley.point.region.clone()),
                title: format!("{}：{}不达标", alley.point.name, clause.text).chars().take(200).collect(),
                description: format!("小巷管家日巡，{}（{}）：{}不达标{found}{note}", alley.point.name, alley.point.code, clause.text),
                address: Some(alley.point.name.clone()),
                location: Some(new.position.unwrap_or_else(|| alley.point.location.anchor())),
                reporter: None,
                photos: vec![],
                suggestion: None,
            };
            let filed = self.file_case(intake, actor, now).await?;
            cases.push((filed.case.id, filed.created));
            problems.push(Problem { case_id: Some(filed.case.id), ..problem });
        }
        // The photos before the patrol: once it is recorded, a retry is answered with it, so its
        // cases must have their photos by then.
        let mut kept = Vec::with_capacity(photos.len());
        for photo in photos {
            kept.push(self.store_attachment(photo, actor, now).await?);
        }
        if !kept.is_empty() {
            for (case, created) in cases {
                // A case filed by an earlier attempt that stopped short may have them already.
                let had: HashSet<String> =
                    if created { HashSet::new() } else { self.store.attachments().of_case(case).await?.into_iter().map(|a| a.attachment.sha256).collect() };
                let ids: Vec<i64> = kept.iter().filter(|a| !had.contains(&a.sha256)).map(|a| a.id).collect();
                self.store.attachments().add_to_case(case, &ids, Stage::Intake, actor.user_id, now).await?;
            }
        }
        let patrol = Patrol { id: new.id.clone(), alley: alley_id, steward: actor.user_id, day: day_of(now), at: now, position: new.position, problems };
        let created = match self.store.alleys().record_patrols(std::slice::from_ref(&patrol)).await {
            Ok(()) => true,
            // Sent twice at once: the other one won; answer with it.
            Err(StoreError::Duplicate(_)) => false,
            Err(e) => return Err(e.into()),
        };
        let stored = self.store.alleys().patrol(&new.id).await?.ok_or_else(|| AppError::Internal("a patrol vanished".into()))?;
        Ok((stored, created))
    }

    /// Records a street's weekly check (周查) of an alley on `day`: the problems fail, the rest of
    /// the standard passes; scored under the standard in force.
    pub async fn record_alley_check(&self, actor: &Actor, alley_id: i64, day: Date, problems: Vec<Problem>, now: Timestamp) -> Result<WeeklyCheck, AppError> {
        if !matches!(actor.role, Role::Admin | Role::Supervisor | Role::Dispatcher | Role::Inspector) {
            return Err(AppError::forbidden(format!("role {} may not record alley checks", actor.role.as_str())));
        }
        self.store.alleys().get(alley_id).await?.ok_or_else(|| AppError::NotFound(format!("alley {alley_id} not found")))?;
        let visit = score_visit(alley_standard(), problems)?;
        let check = WeeklyCheck {
            alley: alley_id,
            day,
            standard: standard_version(alley_standard()),
            ten_no: visit.ten_no,
            problems: visit.problems.into_iter().map(|(p, _)| p).collect(),
            checked_by: actor.user_id,
            checked_at: now,
        };
        self.store.alleys().record_checks(std::slice::from_ref(&check)).await.map_err(|e| match e {
            StoreError::Duplicate(m) => AppError::Conflict(m),
            other => other.into(),
        })?;
        Ok(check)
    }

    /// The patrol board of a street (or any region) on a day: which alleys were patrolled.
    pub async fn patrol_board(&self, region: &str, day: Date) -> Result<Vec<CoverageRow>, AppError> {
        let (_, _, prefix) = self.alley_scope(Some(region))?;
        Ok(self.store.alleys().coverage(&prefix, day).await?)
    }

    /// The cases of `month` and, per alley id, the indexes of those on it: within the rules'
    /// distance of its line, or naming it (names of at least three characters).
    async fn cases_by_alley(&self, alleys: &[Alley], month: Month, rules: &AlleyRules) -> Result<(Vec<CaseSketch>, HashMap<i64, Vec<usize>>), AppError> {
        let cases = self.store.alleys().cases_received(month.start(), month_end(month)).await?;
        let index = LineIndex::new(alleys.iter().map(Alley::line), rules.case_distance_m);
        let named: Vec<(usize, &str)> = alleys.iter().enumerate().filter(|(_, a)| a.point.name.chars().count() >= 3).map(|(i, a)| (i, a.point.name.as_str())).collect();
        let names = AhoCorasick::new(named.iter().map(|(_, n)| *n)).map_err(|e| AppError::Internal(format!("alley names: {e}")))?;
        let mut by_alley: HashMap<i64, Vec<usize>> = HashMap::new();
        for (c, case) in cases.iter().enumerate() {
            let mut on: HashSet<usize> = HashSet::new();
            if let Some(at) = case.location {
                on.extend(index.near(at).map(|(i, _)| i));
            }
            on.extend(names.find_overlapping_iter(&case.text).map(|m| named[m.pattern().as_usize()].0));
            for i in on {
                by_alley.entry(alleys[i].point.id).or_default().push(c);
            }
        }
        Ok((cases, by_alley))
    }

    /// Counts the cases of `month` on each alley ([`App::cases_by_alley`]), hotline cases apart.
    /// Returns `(hotline, other)` per alley id and how many cases counted on some alley.
    pub async fn cases_on_alleys(&self, alleys: &[Alley], month: Month, rules: &AlleyRules) -> Result<(HashMap<i64, (u32, u32)>, usize), AppError> {
        let (cases, by_alley) = self.cases_by_alley(alleys, month, rules).await?;
        let mut on_some = vec![false; cases.len()];
        let counts = by_alley
            .into_iter()
            .map(|(alley, found)| {
                let mut count = (0, 0);
                for c in found {
                    on_some[c] = true;
                    if cases[c].channel == Channel::Hotline { count.0 += 1 } else { count.1 += 1 }
                }
                (alley, count)
            })
            .collect();
        Ok((counts, on_some.into_iter().filter(|&on| on).count()))
    }

    /// The month's evaluation (月评) of every alley, once per month and in order: each alley with
    /// a weekly check is scored (checks less its cases), its grade moved, a listing opened when
    /// the rule calls for it, open listings re-checked (a pass at or after the deadline
    /// de-lists), and at a quarter's end its title re-checked. Written at once.
    pub async fn evaluate_alley_month(&self, actor: &Actor, month: Month, rules: &AlleyRules, now: Timestamp) -> Result<MonthSummary, AppError> {
        require_office(actor, "evaluate the alleys' month")?;
        if month_end(month) > now {
            return Err(AppError::invalid("month", format!("{month} is not over yet")));
        }
        if self.store.alleys().evaluated(month).await? {
            return Err(AppError::Conflict(format!("the alleys of {month} were evaluated already")));
        }
        let alleys = self.store.alleys().list("").await?;
        let rates = self.store.alleys().check_rates(month).await?;
        let (cases, counted) = self.cases_on_alleys(&alleys, month, rules).await?;
        // Read before the month's transaction, which only writes (SQLite: no read-then-write).
        let open: HashMap<String, Listing> = self
            .store
            .listings()
            .list(true, u32::MAX >> 1)
            .await?
            .into_iter()
            .filter(|l| l.kind == ListingKind::Alley)
            .map(|l| (l.target.clone(), l))
            .collect();
        let mut summary = MonthSummary { cases_on_alleys: counted, ..MonthSummary::default() };
        let mut outcomes = Vec::new();
        for alley in &alleys {
            let (hotline, other) = cases.get(&alley.point.id).copied().unwrap_or_default();
            let Some(score) = rates.get(&alley.point.id).and_then(|r| month_score(r, hotline, other, rules)) else {
                summary.unscored += 1;
                continue;
            };
            if alley.standing.last_month.is_some_and(|last| last >= month) {
                continue;
            }
            let step = alley.standing.step(alley.awarded, alley.title, month, score.score, rules)?;
            for change in &step.changes {
                match change {
                    Change::Downgraded { .. } => summary.downgraded += 1,
                    Change::Restored { .. } => summary.restored += 1,
                    Change::Title { .. } => summary.title_changes += 1,
                    _ => {}
                }
            }
            let score_now = score.score;
            let listing = if let Some(listing) = open.get(&alley.point.code) {
                let mut after = listing.clone();
                let passed = listing_passes(score_now, rules);
                let note = (!passed).then(|| format!("{month} 月评 {score_now} 分，仍低于 {} 分", rules.threshold));
                after.check(passed, note.as_deref(), actor.user_id, month_end(month))?;
                summary.delisted += usize::from(after.delisted_at.is_some());
                Some(ListingStep::Check { before: listing.clone(), after })
            } else if let Some(Change::ListingDue { low_months }) = step.changes.iter().find(|c| matches!(c, Change::ListingDue { .. })) {
                summary.listed += 1;
                Some(ListingStep::Open {
                    new: NewListing {
                        kind: ListingKind::Alley,
                        target: alley.point.code.clone(),
                        name: alley.point.name.clone(),
                        region: Some(alley.point.region.as_str().to_owned()),
                        reason: format!("背街小巷月评连续 {low_months} 个月低于 {} 分（{month} 为 {score_now} 分），限期整改", rules.threshold),
                        deadline: month_end(month) + SignedDuration::from_hours(24 * rules.listing_days),
                    },
                    by: actor.user_id,
                    at: month_end(month),
                })
            } else {
                None
            };
            outcomes.push(MonthOutcome {
                record: ScoreRecord { month, alley: alley.point.id, region: alley.point.region.as_str().to_owned(), score, grade: step.standing.grade },
                standing: step.standing,
                title: step.title,
                changes: step.changes,
                listing,
            });
        }
        // One transaction for the month: scores, standings, listings and changes.
        self.store.alleys().record_month(&outcomes, now).await.map_err(|e| match e {
            StoreError::Duplicate(m) => AppError::Conflict(m),
            other => other.into(),
        })?;
        summary.scored = outcomes.len();
        tracing::info!(%month, scored = summary.scored, downgraded = summary.downgraded, restored = summary.restored, listed = summary.listed, "alleys' month evaluated");
        Ok(summary)
    }

    /// The month's ranking of the alleys under `region`, each with its ranks in its street, its
    /// district and the city; at a quarter's end, the quarter's worst named (季点名).
    pub async fn alley_ranking(&self, month: Month, region: Option<&str>) -> Result<AlleyRanking, AppError> {
        let (region, region_name, prefix) = self.alley_scope(region)?;
        let all = self.store.alleys().named_scores(month, "").await?;
        let rank_within = |key: &dyn Fn(&str) -> String| -> HashMap<i64, u32> {
            let mut groups: HashMap<String, Vec<(i64, f64, String)>> = HashMap::new();
            for s in &all {
                groups.entry(key(&s.record.region)).or_default().push((s.record.alley, s.record.score.score, s.code.clone()));
            }
            let mut ranks = HashMap::new();
            for (_, mut rows) in groups {
                let r = competition_ranks(&mut rows, |r| Some(r.1), |r| &r.2);
                for (row, rank) in rows.iter().zip(r) {
                    ranks.insert(row.0, rank.unwrap_or(0));
                }
            }
            ranks
        };
        let in_city = rank_within(&|_| String::new());
        let in_district = rank_within(&|s| s[..6].to_owned());
        let in_street = rank_within(&|s| s.to_owned());
        let name_of = |code: &str| self.regions.get(code).map(|r| r.name.clone()).unwrap_or_default();
        let mut items: Vec<RankedAlley> = all
            .iter()
            .filter(|s| s.record.region.starts_with(&prefix))
            .map(|s| {
                let district = format!("{:0<12}", &s.record.region[..6]);
                RankedAlley {
                    id: s.record.alley,
                    code: s.code.clone(),
                    name: s.name.clone(),
                    street_name: name_of(&s.record.region),
                    street: s.record.region.clone(),
                    district_name: name_of(&district),
                    district,
                    score: s.record.score.score,
                    grade: s.record.grade,
                    rank_in_street: in_street[&s.record.alley],
                    rank_in_district: in_district[&s.record.alley],
                    rank_in_city: in_city[&s.record.alley],
                }
            })
            .collect();
        items.sort_by(|a, b| a.rank_in_city.cmp(&b.rank_in_city).then_with(|| a.code.cmp(&b.code)));
        let named_worst = if month.number() % 3 == 0 {
            let quarter = Period { first: month.plus(-2), last: month };
            let means = self.quarter_means(quarter, &prefix, &AlleyRules::default()).await?;
            named_worst(&means, |r| Some(r.mean), |r| &r.code, NAMED_PER_QUARTER)
                .into_iter()
                .map(|m| NamedAlley { id: m.id, code: m.code, name: m.name, street_name: self.region_name(&m.street), quarter_mean: m.mean })
                .collect()
        } else {
            vec![]
        };
        Ok(AlleyRanking { month, region, region_name, items, named_worst })
    }

    /// Each scored alley under the prefix with its mean over the quarter's scored months and how
    /// many of them fell below the threshold.
    async fn quarter_means(&self, quarter: Period, prefix: &str, rules: &AlleyRules) -> Result<Vec<QuarterMean>, AppError> {
        let mut sums: HashMap<i64, (f64, u32, QuarterMean)> = HashMap::new();
        for m in quarter.months() {
            for s in self.store.alleys().named_scores(m, prefix).await? {
                let e = sums.entry(s.record.alley).or_insert_with(|| {
                    (0.0, 0, QuarterMean { id: s.record.alley, code: s.code.clone(), name: s.name.clone(), street: s.record.region.clone(), mean: 0.0, low_months: 0 })
                });
                e.0 += s.record.score.score;
                e.1 += 1;
                e.2.low_months += u32::from(s.record.score.score < rules.threshold);
            }
        }
        Ok(sums.into_values().map(|(sum, n, m)| QuarterMean { mean: (sum / f64::from(n) * 100.0).round() / 100.0, ..m }).collect())
    }

    /// 季点名 of a quarter (`YYYY-Qn`) in the city or under a region: the quarter's figures and its
    /// worst alleys, each with its 街巷长 and whether it is listed. Refused while the quarter is not
    /// over and when no alley there has a score in it.
    pub async fn alley_rollcall(&self, quarter: &str, region: Option<&str>, now: Timestamp) -> Result<QuarterRollcall, AppError> {
        let period = Period::quarter(quarter)?;
        let (code, name, prefix) = self.alley_scope(region)?;
        let area = if region.is_some() { name.clone() } else { "全市".to_owned() };
        let refused = |reason: Reason| AppError::Domain(DomainError::Refused(reason.on("quarter").with("quarter", quarter)));
        let end = month_end(period.last);
        if end > now {
            return Err(refused(Reason::new("quarter_not_over").with("end", day_of(end - SignedDuration::from_secs(1)))));
        }
        let rules = AlleyRules::default();
        let means = self.quarter_means(period, &prefix, &rules).await?;
        if means.is_empty() {
            return Err(refused(Reason::new("quarter_unscored").with("area", &area)));
        }
        let changes = self.store.alleys().changes_between(period.first, period.last, &prefix).await?;
        let count = |is: fn(&Change) -> bool| changes.iter().filter(|(_, c)| is(c)).count();
        let entries: HashMap<i64, AlleyEntry> = self.store.alleys().entries(&prefix, period.last).await?.into_iter().map(|e| (e.alley.point.id, e)).collect();
        let named = named_worst(&means, |r| Some(r.mean), |r| &r.code, NAMED_PER_QUARTER)
            .into_iter()
            .map(|m| {
                let entry = entries.get(&m.id);
                RollcallAlley {
                    district: self.region_name(&format!("{:0<12}", &m.street[..6])),
                    street_name: self.region_name(&m.street),
                    listed: entry.is_some_and(|e| e.listed),
                    chief: entry.and_then(|e| e.alley.four.chief.clone()),
                    alley: m,
                }
            })
            .collect();
        let mut listed_now: Vec<ListedNow> = self
            .store
            .listings()
            .list(true, 10_000)
            .await?
            .into_iter()
            .filter_map(|listing| {
                let street = listing.region.clone().filter(|r| listing.kind == ListingKind::Alley && r.starts_with(&prefix) && r.len() >= 6)?;
                Some(ListedNow { district: self.region_name(&format!("{:0<12}", &street[..6])), street_name: self.region_name(&street), listing })
            })
            .collect();
        listed_now.sort_by(|a, b| a.listing.listed_at.cmp(&b.listing.listed_at).then_with(|| a.listing.target.cmp(&b.listing.target)));
        Ok(QuarterRollcall {
            quarter: period,
            region: region.map(|_| (code, name)),
            area,
            scored: means.len(),
            mean: (means.iter().map(|m| m.mean).sum::<f64>() / means.len() as f64 * 100.0).round() / 100.0,
            below: means.iter().filter(|m| m.low_months > 0).count(),
            downgraded: count(|c| matches!(c, Change::Downgraded { .. })),
            listed: count(|c| matches!(c, Change::Listed { .. })),
            threshold: rules.threshold,
            listing_days: rules.listing_days,
            named,
            listed_now,
        })
    }
}

/// An alley's quarter: its mean score and the months below the threshold.
#[derive(Clone, Debug, PartialEq)]
pub struct QuarterMean {
    pub id: i64,
    pub code: String,
    pub name: String,
    /// Its street's code.
    pub street: String,
    pub mean: f64,
    pub low_months: u32,
}

/// An alley named in the quarter's notice.
#[derive(Clone, Debug, PartialEq)]
pub struct RollcallAlley {
    pub alley: QuarterMean,
    pub district: String,
    pub street_name: String,
    /// Under listed supervision (挂牌督办) now.
    pub listed: bool,
    /// 街巷长
    pub chief: Option<String>,
}

/// 季点名: a quarter's figures and its worst alleys, worst first.
#[derive(Clone, Debug, PartialEq)]
pub struct QuarterRollcall {
    pub quarter: Period,
    /// The region asked for, code and name; `None` for the city.
    pub region: Option<(String, String)>,
    /// 全市 or the region's name.
    pub area: String,
    pub scored: usize,
    /// The mean of the alleys' quarter means.
    pub mean: f64,
    /// Alleys with a month below the threshold.
    pub below: usize,
    /// Downgrades and listings the quarter's evaluations made.
    pub downgraded: usize,
    pub listed: usize,
    pub threshold: f64,
    /// Days given to put a listed alley right (限期整改).
    pub listing_days: i64,
    pub named: Vec<RollcallAlley>,
    /// The area's alleys under listed supervision now, the longest listed first.
    pub listed_now: Vec<ListedNow>,
}

/// An alley under listed supervision, with where it is.
#[derive(Clone, Debug, PartialEq)]
pub struct ListedNow {
    pub listing: Listing,
    pub district: String,
    pub street_name: String,
}
