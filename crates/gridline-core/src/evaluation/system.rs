//! The indicator system (测评体系) as data: system(year) → category → item (测评项目) → clause
//! (测评内容). Each clause carries its method, its points and its scoring rule; a field-check
//! clause also names the point types it applies to, what the inspector observes and the
//! catalogue entry a failure is filed under (the crosswalk to the case loop). Systems are stored
//! as revisions; a result keeps the revision it was scored under.

use std::collections::HashSet;

use serde::{Deserialize, Serialize};

use super::point::PointType;
use crate::error::{DomainError, FileProblem};
use crate::message::Reason;
use crate::ids::CategoryCode;
use crate::rates::Rates;

/// The indicator system built into the binary (provenance in data/evaluation/PROVENANCE.md).
pub const BUILTIN_INDICATORS: &str = include_str!("../../../../data/evaluation/indicators.toml");

/// Points are compared to this precision: they are written with at most two decimals.
const POINTS_EPSILON: f64 = 1e-6;

/// How a clause is measured (测评方法).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = EvaluationMethod)]
#[serde(rename_all = "snake_case")]
pub enum Method {
    /// 实地考察: an evaluator at a point.
    FieldCheck,
    /// 问卷调查.
    Questionnaire,
    /// 材料审核.
    MaterialReview,
    /// Figures gridline computes itself: the three rates, the on-time closure rate.
    PlatformData,
}

impl Method {
    pub const ALL: [Method; 4] = [Method::FieldCheck, Method::Questionnaire, Method::MaterialReview, Method::PlatformData];

    pub fn as_str(self) -> &'static str {
        match self {
            Method::FieldCheck => "field_check",
            Method::Questionnaire => "questionnaire",
            Method::MaterialReview => "material_review",
            Method::PlatformData => "platform_data",
        }
    }

    pub fn parse(text: &str) -> Option<Method> {
        Method::ALL.into_iter().find(|m| m.as_str() == text)
    }

    pub fn name_zh(self) -> &'static str {
        match self {
            Method::FieldCheck => "实地考察",
            Method::Questionnaire => "问卷调查",
            Method::MaterialReview => "材料审核",
            Method::PlatformData => "平台数据",
        }
    }
}

/// A figure of the platform a platform-data clause is scored on, in percent.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(rename_all = "snake_case")]
pub enum PlatformMetric {
    /// 响应率
    ResponseRate,
    /// 解决率
    ResolutionRate,
    /// 满意率
    SatisfactionRate,
    /// 按期结案率
    OnTimeClosureRate,
}

impl PlatformMetric {
    pub const ALL: [PlatformMetric; 4] =
        [PlatformMetric::ResponseRate, PlatformMetric::ResolutionRate, PlatformMetric::SatisfactionRate, PlatformMetric::OnTimeClosureRate];

    pub fn as_str(self) -> &'static str {
        match self {
            PlatformMetric::ResponseRate => "response_rate",
            PlatformMetric::ResolutionRate => "resolution_rate",
            PlatformMetric::SatisfactionRate => "satisfaction_rate",
            PlatformMetric::OnTimeClosureRate => "on_time_closure_rate",
        }
    }

    pub fn parse(text: &str) -> Option<PlatformMetric> {
        PlatformMetric::ALL.into_iter().find(|m| m.as_str() == text)
    }

    /// The metric's value in percent, as gridline's one definition of each rate gives it.
    pub fn of(self, rates: &Rates) -> Option<f64> {
        match self {
            PlatformMetric::ResponseRate => rates.response_rate,
            PlatformMetric::ResolutionRate => rates.resolution_rate,
            PlatformMetric::SatisfactionRate => rates.satisfaction_rate,
            PlatformMetric::OnTimeClosureRate => rates.on_time_closure_rate,
        }
    }
}

/// How a clause's points are earned (see [`ScoringRule::earned`]).
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub enum ScoringRule {
    /// 每发现一处扣 `per_finding` 分, never below `floor`.
    Deduction {
        per_finding: f64,
        #[serde(default)]
        floor: f64,
    },
    /// Points in proportion to a value against its target (found ÷ required, a rate ÷ 100),
    /// capped at the clause's points.
    Ratio { target: f64 },
    /// All the points when the value reaches `min`, none below it.
    Threshold { min: f64 },
}

/// What a clause is scored on: findings for a deduction, a value for a ratio or a threshold.
#[derive(Clone, Copy, Debug, PartialEq)]
pub enum Evidence {
    /// Shortfalls found (0 = none).
    Findings(u32),
    /// A count found or a rate in percent.
    Value(f64),
}

impl ScoringRule {
    /// The points earned out of `points` on `evidence`. A deduction takes findings and a ratio
    /// or threshold a value; given the other kind, a deduction counts a value as findings and a
    /// ratio or threshold takes findings as "none found" (0) or "all found" (the target).
    pub fn earned(&self, points: f64, evidence: Evidence) -> f64 {
        match (*self, evidence) {
            (ScoringRule::Deduction { per_finding, floor }, Evidence::Findings(n)) => {
                (points - per_finding * f64::from(n)).max(floor).min(points)
            }
            (ScoringRule::Deduction { per_finding, floor }, Evidence::Value(v)) => (points - per_finding * v.max(0.0)).max(floor).min(points),
            (ScoringRule::Ratio { target }, Evidence::Value(v)) => points * (v.max(0.0) / target).min(1.0),
            (ScoringRule::Threshold { min }, Evidence::Value(v)) => {
                if v >= min {
                    points
                } else {
                    0.0
                }
            }
            (ScoringRule::Ratio { .. } | ScoringRule::Threshold { .. }, Evidence::Findings(n)) => {
                if n == 0 {
                    points
                } else {
                    0.0
                }
            }
        }
    }

    /// What is wrong with the rule of a clause worth `points`: the reason (without the clause's
    /// `code`) and the English.
    fn check(&self, points: f64) -> Result<(), (Reason, String)> {
        let value = |value: f64| Reason::new("clause_rule_value").with("value", value);
        match *self {
            ScoringRule::Deduction { per_finding, floor } => {
                if !(per_finding.is_finite() && per_finding > 0.0) {
                    return Err((value(per_finding), format!("a deduction per finding must be positive, not {per_finding}")));
                }
                if !(floor.is_finite() && (0.0..points).contains(&floor)) {
                    return Err((
                        Reason::new("clause_floor").with("floor", floor).with("points", points),
                        format!("the floor {floor} must be at least 0 and below the clause's {points} points"),
                    ));
                }
            }
            ScoringRule::Ratio { target } => {
                if !(target.is_finite() && target > 0.0) {
                    return Err((value(target), format!("a ratio's target must be positive, not {target}")));
                }
            }
            ScoringRule::Threshold { min } => {
                if !(min.is_finite() && min >= 0.0) {
                    return Err((value(min), format!("a threshold must be a number of at least 0, not {min}")));
                }
            }
        }
        Ok(())
    }
}

/// 测评内容: one scored clause.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = IndicatorClause)]
#[serde(deny_unknown_fields)]
pub struct Clause {
    /// Unique in the system, e.g. `1.2.3`.
    pub code: String,
    pub text: String,
    pub method: Method,
    /// For platform data: the figure it is scored on.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub metric: Option<PlatformMetric>,
    pub points: f64,
    pub rule: ScoringRule,
    /// For field checks: the point types it applies to.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub point_types: Vec<PointType>,
    /// For field checks: what the inspector looks at.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub observe: Option<String>,
    /// For field checks: the catalogue entry a failure is filed under.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub case_category: Option<CategoryCode>,
}

impl Clause {
    pub fn applies_to(&self, point_type: PointType) -> bool {
        self.method == Method::FieldCheck && self.point_types.contains(&point_type)
    }
}

/// 测评项目.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = IndicatorItem)]
#[serde(deny_unknown_fields)]
pub struct Item {
    pub code: String,
    pub name: String,
    pub points: f64,
    #[serde(rename = "clause")]
    pub clauses: Vec<Clause>,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[schema(as = IndicatorCategory)]
#[serde(deny_unknown_fields)]
pub struct Category {
    pub code: String,
    pub name: String,
    pub points: f64,
    #[serde(rename = "item")]
    pub items: Vec<Item>,
}

/// The weight of each method in a composite score (Wuhan: 实地 60, 问卷 40). Only their ratios
/// matter; a method without results for a region is left out and the others weigh in its place.
#[derive(Clone, Copy, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct MethodWeights {
    pub field_check: f64,
    pub questionnaire: f64,
    pub material_review: f64,
    pub platform_data: f64,
}

impl MethodWeights {
    pub fn of(&self, method: Method) -> f64 {
        match method {
            Method::FieldCheck => self.field_check,
            Method::Questionnaire => self.questionnaire,
            Method::MaterialReview => self.material_review,
            Method::PlatformData => self.platform_data,
        }
    }
}

/// 测评体系: a year's indicators with their points and the methods' weights.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct IndicatorSystem {
    pub year: i16,
    pub name: String,
    /// The points of all categories together (100 for the national basic indicators).
    pub total: f64,
    pub weights: MethodWeights,
    #[serde(rename = "category")]
    pub categories: Vec<Category>,
}

/// A clause with the item and category it belongs to.
#[derive(Clone, Copy, Debug)]
pub struct Placed<'a> {
    pub category: &'a Category,
    pub item: &'a Item,
    pub clause: &'a Clause,
}

impl IndicatorSystem {
    /// Reads a system from its TOML form (data/evaluation/indicators.toml shows it) and validates
    /// it; `fileable` says whether a catalogue code may be filed under.
    pub fn from_toml(text: &str, fileable: impl Fn(&str) -> bool) -> Result<IndicatorSystem, DomainError> {
        let system: IndicatorSystem = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|s| crate::error::line_of(text, s.start));
            DomainError::InvalidFiles(vec![FileProblem::toml_syntax("indicators", line, e.message())])
        })?;
        system.validate(fileable)?;
        Ok(system)
    }

    pub fn to_toml(&self) -> String {
        let body = toml::to_string(self).expect("an indicator system serialises");
        format!("# gridline indicator system (测评体系). Format: docs/evaluation.md.\n\n{body}")
    }

    /// The default system, modelled on the published structure of the national 测评体系.
    pub fn builtin() -> IndicatorSystem {
        let catalogue = crate::catalogue::Catalogue::builtin();
        IndicatorSystem::from_toml(BUILTIN_INDICATORS, |code| catalogue.check_fileable(code).is_ok())
            .expect("the built-in indicator system is valid (tested)")
    }

    /// Every clause in order, with its item and category.
    pub fn clauses(&self) -> impl Iterator<Item = Placed<'_>> {
        self.categories
            .iter()
            .flat_map(|category| category.items.iter().flat_map(move |item| item.clauses.iter().map(move |clause| Placed { category, item, clause })))
    }

    pub fn clause(&self, code: &str) -> Option<Placed<'_>> {
        self.clauses().find(|p| p.clause.code == code)
    }

    /// The field-check clauses that apply to a point type: a point's checklist.
    pub fn checklist(&self, point_type: PointType) -> impl Iterator<Item = Placed<'_>> {
        self.clauses().filter(move |p| p.clause.applies_to(point_type))
    }

    /// Checks the whole system and reports every problem at once: codes unique, points adding up
    /// (clauses to their item, items to their category, categories to the total), rules sound,
    /// each field check applying to at least one point type and filing its failures under a
    /// catalogue entry, each platform clause naming its figure.
    pub fn validate(&self, fileable: impl Fn(&str) -> bool) -> Result<(), DomainError> {
        let mut problems = Vec::new();
        let mut problem =
            |at: &str, reason: Reason, message: String| problems.push(FileProblem::detailed("indicators", None, reason, format!("{at}: {message}")));
        if !(1990..=2100).contains(&self.year) {
            problem("year", Reason::new("bad_year").with("year", self.year), format!("{} is not a plausible year", self.year));
        }
        if self.name.trim().is_empty() {
            problem("name", Reason::new("system_no_name"), "the system needs a name".into());
        }
        let w = self.weights;
        let weights = [w.field_check, w.questionnaire, w.material_review, w.platform_data];
        if weights.iter().any(|w| !(w.is_finite() && *w >= 0.0)) || weights.iter().sum::<f64>() <= 0.0 {
            problem("weights", Reason::new("bad_method_weights"), "method weights must be at least 0 and not all 0".into());
        }
        if self.categories.is_empty() {
            problem("category", Reason::new("system_no_category"), "the system has no category".into());
        }
        let mut codes = HashSet::new();
        let mut unique = |code: &str, problem: &mut dyn FnMut(&str, Reason, String)| {
            if code.trim().is_empty() {
                problem(code, Reason::new("code_empty"), "a code must not be empty".into());
            } else if !codes.insert(code.to_owned()) {
                problem(code, Reason::new("indicator_code_twice").with("code", code), "the code is used twice".into());
            }
        };
        let sums = |code: &str, sum: f64, points: f64| Reason::new("points_do_not_add_up").with("code", code).with("sum", sum).with("points", points);
        let mut category_sum = 0.0;
        for category in &self.categories {
            unique(&category.code, &mut problem);
            category_sum += category.points;
            let items: f64 = category.items.iter().map(|i| i.points).sum();
            if (items - category.points).abs() > POINTS_EPSILON {
                problem(&category.code, sums(&category.code, items, category.points), format!("its items add up to {items} points, not its {}", category.points));
            }
            for item in &category.items {
                unique(&item.code, &mut problem);
                let clauses: f64 = item.clauses.iter().map(|c| c.points).sum();
                if item.clauses.is_empty() {
                    problem(&item.code, Reason::new("item_no_clause").with("code", &item.code), "the item has no clause".into());
                } else if (clauses - item.points).abs() > POINTS_EPSILON {
                    problem(&item.code, sums(&item.code, clauses, item.points), format!("its clauses add up to {clauses} points, not its {}", item.points));
                }
                for clause in &item.clauses {
                    unique(&clause.code, &mut problem);
                    if let Err((reason, message)) = check_clause(clause, &fileable) {
                        problem(&clause.code, reason, message);
                    }
                }
            }
        }
        if (category_sum - self.total).abs() > POINTS_EPSILON {
            problem(
                "total",
                Reason::new("total_does_not_add_up").with("sum", category_sum).with("total", self.total),
                format!("the categories add up to {category_sum} points, not the total {}", self.total),
            );
        }
        if problems.is_empty() { Ok(()) } else { Err(DomainError::InvalidFiles(problems)) }
    }
}

/// What is wrong with a clause: the reason (with the clause's `code`) and the English.
fn check_clause(clause: &Clause, fileable: &impl Fn(&str) -> bool) -> Result<(), (Reason, String)> {
    let of = |what: &'static str| Reason::new(what).with("code", &clause.code);
    if clause.text.trim().is_empty() {
        return Err((of("clause_no_text"), "the clause has no text".into()));
    }
    if !(clause.points.is_finite() && clause.points > 0.0) {
        return Err((of("clause_points").with("points", clause.points), format!("points must be positive, not {}", clause.points)));
    }
    clause.rule.check(clause.points).map_err(|(reason, message)| (reason.with("code", &clause.code), message))?;
    let field = clause.method == Method::FieldCheck;
    if field {
        if clause.point_types.is_empty() {
            return Err((of("field_check_no_point_types"), "a field check must name the point types it applies to".into()));
        }
        if clause.observe.as_deref().is_none_or(|o| o.trim().is_empty()) {
            return Err((of("field_check_no_observe"), "a field check must say what the inspector observes".into()));
        }
        match clause.case_category.as_deref() {
            None => {
                return Err((
                    of("field_check_no_category"),
                    "a field check must name the catalogue entry its failures are filed under (case_category)".into(),
                ));
            }
            Some(code) if !fileable(code) => {
                return Err((
                    of("field_check_bad_category").with("category", code),
                    format!("case_category {code:?} is not an entry of the catalogue that cases can be filed under"),
                ));
            }
            Some(_) => {}
        }
    } else if !clause.point_types.is_empty() || clause.case_category.is_some() {
        return Err((of("not_field_check"), format!("point_types and case_category belong to field checks, not to {}", clause.method.as_str())));
    }
    match (clause.method, clause.metric) {
        (Method::PlatformData, None) => Err((of("platform_no_metric"), "a platform-data clause must name its metric".into())),
        (Method::PlatformData, Some(_)) => Ok(()),
        (_, Some(_)) => Err((of("metric_not_platform"), "only platform-data clauses have a metric".into())),
        (_, None) => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn close(a: f64, b: f64) -> bool {
        (a - b).abs() < 1e-9
    }

    #[test]
    fn a_deduction_takes_points_per_finding_down_to_its_floor() {
        let rule = ScoringRule::Deduction { per_finding: 2.0, floor: 1.0 };
        // 5 points: none found 5; one 3; two 1; three would be -1, held at the floor 1.
        assert!(close(rule.earned(5.0, Evidence::Findings(0)), 5.0));
        assert!(close(rule.earned(5.0, Evidence::Findings(1)), 3.0));
        assert!(close(rule.earned(5.0, Evidence::Findings(2)), 1.0));
        assert!(close(rule.earned(5.0, Evidence::Findings(3)), 1.0));
        // "少一条扣4分" of 4 points, floor 0: one missing takes all.
        assert!(close(ScoringRule::Deduction { per_finding: 4.0, floor: 0.0 }.earned(4.0, Evidence::Findings(1)), 0.0));
    }

    #[test]
    fn a_ratio_earns_in_proportion_and_never_more_than_its_points() {
        // At least 5 public-service ads along 300 m, 3 points: 3 found → 3·3/5 = 1.8.
        let rule = ScoringRule::Ratio { target: 5.0 };
        assert!(close(rule.earned(3.0, Evidence::Value(3.0)), 1.8));
        assert!(close(rule.earned(3.0, Evidence::Value(7.0)), 3.0));
        assert!(close(rule.earned(3.0, Evidence::Value(0.0)), 0.0));
        // A rate of 87.5 % against 100, 4 points → 3.5.
        assert!(close(ScoringRule::Ratio { target: 100.0 }.earned(4.0, Evidence::Value(87.5)), 3.5));
        assert!(close(rule.earned(3.0, Evidence::Findings(0)), 3.0));
        assert!(close(rule.earned(3.0, Evidence::Findings(2)), 0.0));
    }

    #[test]
    fn a_threshold_gives_all_or_nothing() {
        // Window-service satisfaction at least 85: 85 → 2 points, 84.9 → 0.
        let rule = ScoringRule::Threshold { min: 85.0 };
        assert!(close(rule.earned(2.0, Evidence::Value(85.0)), 2.0));
        assert!(close(rule.earned(2.0, Evidence::Value(84.9)), 0.0));
        assert!(close(rule.earned(2.0, Evidence::Findings(1)), 0.0));
    }

    #[test]
    fn the_builtin_system_is_valid_and_adds_up_to_its_total() {
        let system = IndicatorSystem::builtin();
        assert!(close(system.categories.iter().map(|c| c.points).sum(), system.total));
        // Every point type has a checklist, and 背街小巷 the alley clauses the patrols reuse.
        for point_type in PointType::ALL {
            assert!(system.checklist(point_type).count() >= 2, "{point_type:?}");
        }
        assert!(system.clauses().any(|p| p.clause.method == Method::PlatformData));
        // It survives its own TOML.
        let again = IndicatorSystem::from_toml(&system.to_toml(), |_| true).unwrap();
        assert_eq!(again, system);
    }

    #[test]
    fn points_that_do_not_add_up_and_unsound_clauses_are_all_reported() {
        let mut system = IndicatorSystem::builtin();
        system.categories[0].items[0].clauses[0].points += 1.0;
        let field = system.clauses().position(|p| p.clause.method == Method::FieldCheck).unwrap();
        let code = system.clauses().nth(field).unwrap().clause.code.clone();
        for category in &mut system.categories {
            for item in &mut category.items {
                for clause in &mut item.clauses {
                    if clause.code == code {
                        clause.point_types.clear();
                    }
                }
            }
        }
        let DomainError::InvalidFiles(problems) = system.validate(|_| true).unwrap_err() else { panic!() };
        let text = problems.iter().map(ToString::to_string).collect::<Vec<_>>().join("\n");
        assert!(text.contains("its clauses add up to"), "{text}");
        assert!(text.contains("must name the point types"), "{text}");
        // An unknown catalogue entry and an unknown point type.
        let err = IndicatorSystem::from_toml(BUILTIN_INDICATORS, |code| code != "S0102").unwrap_err().to_string();
        assert!(err.contains("\"S0102\" is not an entry"), "{err}");
        let broken = BUILTIN_INDICATORS.replacen("\"back_alley\"", "\"moon_base\"", 1);
        let err = IndicatorSystem::from_toml(&broken, |_| true).unwrap_err().to_string();
        assert!(err.contains("moon_base") && err.contains("line"), "{err}");
    }

    #[test]
    fn a_field_check_without_a_crosswalk_and_a_platform_clause_without_a_metric_are_refused() {
        let clause = |method, metric, category: Option<&str>| Clause {
            code: "x".into(),
            text: "t".into(),
            method,
            metric,
            points: 2.0,
            rule: ScoringRule::Deduction { per_finding: 1.0, floor: 0.0 },
            point_types: if method == Method::FieldCheck { vec![PointType::BackAlley] } else { vec![] },
            observe: Some("看".into()),
            case_category: category.map(|c| CategoryCode::parse(c).unwrap()),
        };
        let ok = |_: &str| true;
        assert!(check_clause(&clause(Method::FieldCheck, None, None), &ok).unwrap_err().1.contains("case_category"));
        assert!(check_clause(&clause(Method::FieldCheck, None, Some("S0102")), &ok).is_ok());
        assert!(check_clause(&clause(Method::PlatformData, None, None), &ok).unwrap_err().1.contains("metric"));
        assert!(check_clause(&clause(Method::PlatformData, Some(PlatformMetric::ResponseRate), None), &ok).is_ok());
        let mut floor = clause(Method::FieldCheck, None, Some("S0102"));
        floor.rule = ScoringRule::Deduction { per_finding: 1.0, floor: 2.0 };
        assert!(check_clause(&floor, &ok).unwrap_err().1.contains("floor"));
    }
}
