//! Routing: which unit a registered case goes to.
//!
//! A rule names a scope — catalogue entries (each with its subtree), regions (each with everything
//! inside it), an optional time window — and either a unit type or a concrete unit. Of the rules
//! whose scope holds the case, the most specific wins: the deepest region first (a district's rule
//! overrides a city-wide one, a street's overrides its district's), then the deepest catalogue
//! entry, then a rule with a time window over one without. When no rule matches, the catalogue's
//! unit type for the entry applies. A unit type becomes the unit of that type whose regions cover
//! the case's region most specifically. Only a single answer is certain; anything else (no region,
//! no unit, two equal candidates or two equally specific rules) goes to the dispatcher's queue,
//! with the reason.

use std::collections::{BTreeSet, HashMap, HashSet};

use jiff::Timestamp;
use jiff::civil::{Date, Time};
use serde::{Deserialize, Serialize};

use crate::catalogue::Catalogue;
use crate::error::{DomainError, FileProblem, line_of};
use crate::ids::UnitCode;
use crate::message::Reason;
use crate::region::{RegionLevel, RegionTree};
use crate::unit::Unit;

pub const ROUTING_FILE: &str = "routing.toml";

/// A kind of responsible unit (街道办事处, 供水, 燃气, …) that catalogue entries and rules name.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct UnitType {
    pub code: String,
    pub name: String,
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub name_en: String,
}

#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RoutingRule {
    pub id: String,
    /// Catalogue codes, each with its subtree; empty: every entry.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub entries: Vec<String>,
    /// Region codes, each with everything inside it; empty: the whole city.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub regions: Vec<String>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub window: Option<RuleWindow>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit_type: Option<String>,
    /// A concrete unit code instead of a type (a district naming its own unit).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub unit: Option<UnitCode>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub note: Option<String>,
}

/// When a rule applies, in Beijing time: dates inclusive, daily hours possibly across midnight.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize, utoipa::ToSchema)]
#[serde(deny_unknown_fields)]
pub struct RuleWindow {
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub from: Option<Date>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub until: Option<Date>,
    /// `"HH:MM-HH:MM"`, possibly across midnight.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[schema(value_type = Option<String>)]
    pub hours: Option<DailyHours>,
}

/// `"HH:MM-HH:MM"`; the end is exclusive and may be earlier than the start (across midnight).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct DailyHours {
    start: Time,
    end: Time,
}

impl TryFrom<String> for DailyHours {
    type Error = String;

    fn try_from(text: String) -> Result<Self, String> {
        let bad = || format!("hours {text:?}: expected \"HH:MM-HH:MM\"");
        let (start, end) = text.split_once('-').ok_or_else(bad)?;
        let parse = |s: &str| Time::strptime("%H:%M", s.trim()).map_err(|_| bad());
        let hours = DailyHours { start: parse(start)?, end: parse(end)? };
        if hours.start == hours.end {
            return Err(format!("hours {text:?}: start and end are the same"));
        }
        Ok(hours)
    }
}

impl From<DailyHours> for String {
    fn from(hours: DailyHours) -> String {
        format!("{}-{}", hours.start.strftime("%H:%M"), hours.end.strftime("%H:%M"))
    }
}

impl DailyHours {
    fn contains(self, time: Time) -> bool {
        if self.start < self.end { self.start <= time && time < self.end } else { time >= self.start || time < self.end }
    }

    /// Minute intervals within one day.
    fn spans(self) -> Vec<(i32, i32)> {
        let minute = |t: Time| i32::from(t.hour()) * 60 + i32::from(t.minute());
        let (start, end) = (minute(self.start), minute(self.end));
        if start < end { vec![(start, end)] } else { vec![(start, 1440), (0, end)] }
    }

    fn overlaps(self, other: DailyHours) -> bool {
        self.spans().iter().any(|a| other.spans().iter().any(|b| a.0 < b.1 && b.0 < a.1))
    }
}

impl RuleWindow {
    fn contains(&self, at: &jiff::civil::DateTime) -> bool {
        self.from.is_none_or(|from| at.date() >= from)
            && self.until.is_none_or(|until| at.date() <= until)
            && self.hours.is_none_or(|hours| hours.contains(at.time()))
    }

    fn overlaps(&self, other: &RuleWindow) -> bool {
        let starts_before_end = |from: Option<Date>, until: Option<Date>| match (from, until) {
            (Some(f), Some(u)) => f <= u,
            _ => true,
        };
        starts_before_end(self.from, other.until)
            && starts_before_end(other.from, self.until)
            && match (self.hours, other.hours) {
                (Some(a), Some(b)) => a.overlaps(b),
                _ => true,
            }
    }

    fn describe(&self) -> String {
        let mut parts = Vec::new();
        match (self.from, self.until) {
            (Some(f), Some(u)) => parts.push(format!("{f} 至 {u}")),
            (Some(f), None) => parts.push(format!("{f} 起")),
            (None, Some(u)) => parts.push(format!("至 {u}")),
            (None, None) => {}
        }
        if let Some(hours) = self.hours {
            parts.push(format!("每日 {}", String::from(hours)));
        }
        parts.join("，")
    }
}

#[derive(Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
struct RoutingFile<T, R> {
    #[serde(default = "Vec::new")]
    unit_type: Vec<T>,
    #[serde(default = "Vec::new")]
    rule: Vec<R>,
}

/// The unit-type vocabulary and the rules, checked against a catalogue and the region tree.
#[derive(Clone, Debug, Default)]
pub struct Routing {
    unit_types: Vec<UnitType>,
    rules: Vec<RoutingRule>,
    rule_lines: HashMap<String, usize>,
}

/// How specific a matching rule is; greater wins.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize, utoipa::ToSchema)]
pub struct Specificity {
    /// An explicit rule beats the catalogue's default.
    pub explicit: bool,
    /// The level of the rule's region that holds the case (none: city-wide).
    pub region_level: Option<RegionLevel>,
    /// The depth of the rule's entry that holds the case's entry (0: every entry).
    pub entry_depth: usize,
    pub windowed: bool,
}

#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct MatchedRule {
    /// The rule's id, or `catalogue:CODE` for the catalogue's default.
    pub id: String,
    pub line: Option<usize>,
    pub scope: String,
    pub unit_type: Option<String>,
    pub unit: Option<UnitCode>,
    pub note: Option<String>,
    pub specificity: Specificity,
}

/// The answer to "who handles this case", with the reasoning.
#[derive(Clone, Debug, PartialEq, Serialize, utoipa::ToSchema)]
pub struct Route {
    /// A single unit was found: registration dispatches to it without asking.
    pub certain: bool,
    pub unit: Option<UnitCode>,
    pub unit_type: Option<String>,
    /// The rule that decided, when one did.
    pub rule: Option<MatchedRule>,
    /// Units that could take it (when not certain, the dispatcher chooses among them).
    pub candidates: Vec<UnitCode>,
    /// The explanation, in the operators' language.
    pub reason: String,
    /// Every rule whose scope holds the case, most specific first.
    pub matched: Vec<MatchedRule>,
}

/// What routing needs to know of a case.
#[derive(Clone, Copy, Debug)]
pub struct RouteQuery<'a> {
    pub category: &'a str,
    pub region: Option<&'a str>,
    pub at: Timestamp,
    /// Rule windows are local time: the calendar's zone.
    pub time_zone: &'a jiff::tz::TimeZone,
}

impl Routing {
    /// Reads the routing file and checks it against the catalogue (whose unit types it must
    /// define) and the region tree. A bad file is refused whole, every problem named with its line.
    pub fn from_toml(text: &str, catalogue: &Catalogue, regions: &RegionTree) -> Result<Self, DomainError> {
        let file: RoutingFile<toml::Spanned<UnitType>, toml::Spanned<RoutingRule>> = toml::from_str(text).map_err(|e| {
            let line = e.span().map(|span| line_of(text, span.start));
            DomainError::InvalidFiles(vec![FileProblem::toml_syntax(ROUTING_FILE, line, e.message())])
        })?;
        let line = |start: usize| Some(line_of(text, start));
        let unit_types = file.unit_type.iter().map(|t| (t.get_ref().clone(), line(t.span().start))).collect();
        let rules = file.rule.iter().map(|r| (r.get_ref().clone(), line(r.span().start))).collect();
        Self::checked(unit_types, rules, catalogue, regions)
    }

    fn checked(
        unit_types: Vec<(UnitType, Option<usize>)>,
        rules: Vec<(RoutingRule, Option<usize>)>,
        catalogue: &Catalogue,
        regions: &RegionTree,
    ) -> Result<Self, DomainError> {
        let mut problems = Vec::new();
        let problem = |line: Option<usize>, reason: Reason, message: String| FileProblem::detailed(ROUTING_FILE, line, reason, message);
        let mut type_codes = HashSet::new();
        for (unit_type, line) in &unit_types {
            if unit_type.code.trim().is_empty() || unit_type.name.trim().is_empty() {
                problems.push(problem(*line, Reason::new("unit_type_incomplete"), "a unit type needs a code and a name".into()));
            }
            if !type_codes.insert(unit_type.code.as_str()) {
                problems.push(problem(
                    *line,
                    Reason::new("unit_type_twice").with("type", &unit_type.code),
                    format!("unit type {} is defined twice", unit_type.code),
                ));
            }
        }
        for entry in catalogue.iter() {
            if let Some(unit_type) = &entry.unit_type
                && !type_codes.contains(unit_type.as_str())
            {
                problems.push(FileProblem::detailed(
                    crate::catalogue::CATALOGUE_FILE,
                    catalogue.line(&entry.code),
                    Reason::new("entry_unknown_unit_type").with("code", &entry.code).with("type", unit_type),
                    format!("entry {} names unknown unit type {unit_type}", entry.code),
                ));
            }
        }
        let mut rule_lines = HashMap::new();
        for (i, (rule, line)) in rules.iter().enumerate() {
            let id = rule.id.as_str();
            let of_rule = |what: &'static str| Reason::new(what).with("rule", id);
            if id.trim().is_empty() {
                problems.push(problem(*line, Reason::new("rule_no_id"), "a rule needs an id".into()));
            }
            if let Some(first) = rule_lines.insert(id.to_owned(), line.unwrap_or(0)) {
                problems.push(problem(*line, of_rule("rule_twice").with("first", first), format!("rule id {id} is used twice (first on line {first})")));
            }
            for code in &rule.entries {
                if catalogue.get(code).is_none() {
                    problems.push(problem(*line, of_rule("rule_unknown_entry").with("entry", code), format!("rule {id} names unknown catalogue entry {code}")));
                }
            }
            for code in &rule.regions {
                if regions.get(code).is_none() {
                    problems.push(problem(*line, of_rule("rule_unknown_region").with("region", code), format!("rule {id} names unknown region {code}")));
                }
            }
            match (&rule.unit_type, &rule.unit) {
                (Some(t), None) if !type_codes.contains(t.as_str()) => {
                    problems.push(problem(*line, of_rule("rule_unknown_unit_type").with("type", t), format!("rule {id} names unknown unit type {t}")));
                }
                (Some(_), None) | (None, Some(_)) => {}
                _ => problems.push(problem(*line, of_rule("rule_unit_or_type"), format!("rule {id} needs either unit_type or unit, not both or neither"))),
            }
            if let Some(window) = &rule.window
                && let (Some(from), Some(until)) = (window.from, window.until)
                && from > until
            {
                problems.push(problem(
                    *line,
                    of_rule("rule_window_reversed").with("from", from).with("until", until),
                    format!("rule {id}: window from {from} is after until {until}"),
                ));
            }
            for (other, other_line) in &rules[..i] {
                let same = |a: &[String], b: &[String]| a.iter().collect::<BTreeSet<_>>() == b.iter().collect::<BTreeSet<_>>();
                let windows_overlap = match (&rule.window, &other.window) {
                    (Some(a), Some(b)) => a.overlaps(b),
                    (None, None) => true,
                    _ => false,
                };
                if same(&rule.entries, &other.entries) && same(&rule.regions, &other.regions) && windows_overlap {
                    problems.push(problem(
                        *line,
                        of_rule("rule_contradicts").with("other", &other.id).with("line", other_line.unwrap_or(0)),
                        format!(
                            "rule {id} contradicts rule {} (line {}): same entries, regions and time",
                            other.id,
                            other_line.unwrap_or(0)
                        ),
                    ));
                }
            }
        }
        if !problems.is_empty() {
            return Err(DomainError::InvalidFiles(problems));
        }
        Ok(Routing {
            unit_types: unit_types.into_iter().map(|(t, _)| t).collect(),
            rules: rules.into_iter().map(|(r, _)| r).collect(),
            rule_lines,
        })
    }

    /// The routing file: what [`Routing::from_toml`] reads back to the same rules.
    pub fn to_toml(&self) -> String {
        let header = "# gridline routing: unit types and the rules that choose a case's unit. Format: docs/catalogue.md.\n\n";
        let body = toml::to_string(&RoutingFile { unit_type: self.unit_types.iter().collect::<Vec<_>>(), rule: self.rules.iter().collect::<Vec<_>>() }).expect("rules serialise");
        format!("{header}{body}")
    }

    pub fn unit_types(&self) -> &[UnitType] {
        &self.unit_types
    }

    pub fn unit_type(&self, code: &str) -> Option<&UnitType> {
        self.unit_types.iter().find(|t| t.code == code)
    }

    pub fn rules(&self) -> &[RoutingRule] {
        &self.rules
    }

    /// Rules that name a unit the platform does not have (units are data of their own, so this
    /// is checked when a file is applied).
    pub fn unknown_units(&self, unit_exists: impl Fn(&str) -> bool) -> Vec<FileProblem> {
        self.rules
            .iter()
            .filter_map(|r| r.unit.as_deref().filter(|u| !unit_exists(u)).map(|u| (r, u)))
            .map(|(r, u)| {
                FileProblem::detailed(
                    ROUTING_FILE,
                    self.rule_lines.get(&r.id).copied(),
                    Reason::new("rule_unknown_unit").with("rule", &r.id).with("unit", u),
                    format!("rule {} names unknown unit {u}", r.id),
                )
            })
            .collect()
    }

    fn describe_scope(&self, rule: &RoutingRule, catalogue: &Catalogue, regions: &RegionTree) -> String {
        let names = |codes: &[String], name: &dyn Fn(&str) -> Option<String>, all: &str| {
            if codes.is_empty() {
                all.to_owned()
            } else {
                codes.iter().map(|c| name(c).map_or_else(|| c.clone(), |n| format!("{c} {n}"))).collect::<Vec<_>>().join("、")
            }
        };
        let mut scope = format!(
            "{}；{}",
            names(&rule.entries, &|c| catalogue.get(c).map(|e| e.name.clone()), "全部问题"),
            names(&rule.regions, &|c| regions.get(c).map(|r| r.name.clone()), "全市")
        );
        if let Some(window) = &rule.window {
            scope.push('；');
            scope.push_str(&window.describe());
        }
        scope
    }

    /// Who handles a case of `query.category` in `query.region` at `query.at`, and why.
    pub fn route(&self, query: RouteQuery<'_>, catalogue: &Catalogue, regions: &RegionTree, units: &[Unit]) -> Route {
        let local = query.at.to_zoned(query.time_zone.clone()).datetime();
        let entry_depth = |rule: &RoutingRule| {
            if rule.entries.is_empty() {
                Some(0)
            } else {
                rule.entries.iter().filter(|e| catalogue.is_within(query.category, e)).map(|e| catalogue.depth(e)).max()
            }
        };
        let region_level = |rule: &RoutingRule| -> Option<Option<RegionLevel>> {
            if rule.regions.is_empty() {
                return Some(None);
            }
            let region = query.region?;
            rule.regions
                .iter()
                .filter(|r| regions.is_within(region, r))
                .filter_map(|r| regions.get(r))
                .map(|r| r.level)
                .max()
                .map(Some)
        };
        let mut matched: Vec<MatchedRule> = self
            .rules
            .iter()
            .filter(|rule| rule.window.as_ref().is_none_or(|w| w.contains(&local)))
            .filter_map(|rule| {
                let specificity = Specificity {
                    explicit: true,
                    region_level: region_level(rule)?,
                    entry_depth: entry_depth(rule)?,
                    windowed: rule.window.is_some(),
                };
                Some(MatchedRule {
                    id: rule.id.clone(),
                    line: self.rule_lines.get(&rule.id).copied(),
                    scope: self.describe_scope(rule, catalogue, regions),
                    unit_type: rule.unit_type.clone(),
                    unit: rule.unit.clone(),
                    note: rule.note.clone(),
                    specificity,
                })
            })
            .collect();
        if let Some((unit_type, entry)) = catalogue.unit_type_source(query.category) {
            matched.push(MatchedRule {
                id: format!("catalogue:{}", entry.code),
                line: catalogue.line(&entry.code),
                scope: format!("目录 {} {}", entry.code, entry.name),
                unit_type: Some(unit_type.to_owned()),
                unit: None,
                note: None,
                specificity: Specificity {
                    explicit: false,
                    region_level: None,
                    entry_depth: catalogue.depth(&entry.code),
                    windowed: false,
                },
            });
        }
        matched.sort_by_key(|m| std::cmp::Reverse(m.specificity));
        let queue = |rule: Option<MatchedRule>, unit_type: Option<String>, candidates: Vec<UnitCode>, reason: String| Route {
            certain: false,
            unit: None,
            unit_type,
            rule,
            candidates,
            reason: format!("{reason}转派单员人工派单。"),
            matched: matched.clone(),
        };
        let Some(best) = matched.first().cloned() else {
            return queue(None, None, Vec::new(), format!("目录 {} 没有默认办理单位类型，也没有规则适用，", query.category));
        };
        if let Some(tied) = matched.get(1).filter(|m| m.specificity == best.specificity) {
            return queue(None, None, Vec::new(), format!("规则 {} 与 {} 同样具体，", best.id, tied.id));
        }
        let decided_by = if best.specificity.explicit {
            format!("规则 {}（{}）规定", best.id, best.scope)
        } else {
            format!("没有专门规则，按{}的默认，", best.scope)
        };
        let unit_name = |code: &str| units.iter().find(|u| u.code == code).map_or_else(|| code.to_owned(), |u| u.name.clone());
        if let Some(unit) = best.unit.clone() {
            if !units.iter().any(|u| u.code == unit) {
                return queue(Some(best.clone()), None, Vec::new(), format!("{decided_by}由单位 {unit} 办理，但没有这个单位，"));
            }
            return Route {
                certain: true,
                unit: Some(unit.clone()),
                unit_type: None,
                reason: format!("{decided_by}由{}（{unit}）办理。", unit_name(&unit)),
                rule: Some(best),
                candidates: vec![unit.clone()],
                matched,
            };
        }
        let unit_type = best.unit_type.clone().unwrap_or_default();
        let type_name = self.unit_type(&unit_type).map_or(unit_type.as_str(), |t| t.name.as_str()).to_owned();
        let decided = format!("{decided_by}由「{type_name}」办理；");
        let Some(region) = query.region else {
            return queue(Some(best), Some(unit_type), Vec::new(), format!("{decided}案件尚无所属地区，无法确定具体单位，"));
        };
        let region_name = regions.get(region).map_or(region, |r| r.name.as_str()).to_owned();
        let covering: Vec<(&Unit, RegionLevel)> = units
            .iter()
            .filter(|u| u.has_type(&unit_type))
            .filter_map(|u| u.covering_region(regions, region).map(|r| (u, r.level)))
            .collect();
        let Some(deepest) = covering.iter().map(|&(_, level)| level).max() else {
            return queue(Some(best), Some(unit_type), Vec::new(), format!("{decided}但没有这一类单位负责{region_name}，"));
        };
        let candidates: Vec<UnitCode> =
            covering.iter().filter(|&&(_, level)| level == deepest).map(|(u, _)| u.code.clone()).collect();
        if let [unit] = candidates.as_slice() {
            return Route {
                certain: true,
                unit: Some(unit.clone()),
                unit_type: Some(unit_type),
                reason: format!("{decided}{}（{unit}）负责{region_name}。", unit_name(unit)),
                rule: Some(best),
                candidates,
                matched,
            };
        }
        let listed = candidates.iter().map(|c| unit_name(c)).collect::<Vec<_>>().join("、");
        queue(Some(best), Some(unit_type), candidates, format!("{decided}{listed}都负责{region_name}，"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::region::tests::small_tree;
    use crate::unit::UnitKind;

    const CATALOGUE: &str = r#"
[[entry]]
code = "S"
name = "事件"
unit_type = "street_office"
time_limit = { amount = 3, unit = "working_days" }
[[entry]]
code = "S03"
parent = "S"
name = "施工管理"
[[entry]]
code = "S0301"
parent = "S03"
name = "施工扰民"
[[entry]]
code = "S0302"
parent = "S03"
name = "工地扬尘"
unit_type = "district_city_management"
"#;

    const TYPES: &str = r#"
[[unit_type]]
code = "street_office"
name = "街道办事处"
[[unit_type]]
code = "district_city_management"
name = "区城管委"
[[unit_type]]
code = "city_management_enforcement"
name = "城管执法"
"#;

    fn catalogue() -> Catalogue {
        Catalogue::from_toml(CATALOGUE).unwrap()
    }

    fn routing(rules: &str) -> Result<Routing, DomainError> {
        Routing::from_toml(&format!("{TYPES}{rules}"), &catalogue(), &small_tree())
    }

    fn unit(code: &str, region: &str, unit_type: &str) -> Unit {
        Unit {
            code: code.parse().unwrap(),
            name: format!("{code}单位"),
            kind: UnitKind::Department,
            regions: vec![region.into()],
            types: vec![unit_type.into()],
        }
    }

    fn units() -> Vec<Unit> {
        vec![
            unit("DHM", "110101001000", "street_office"),
            unit("JS", "110101002000", "street_office"),
            unit("DC-CGW", "110101000000", "district_city_management"),
            unit("DC-ZF", "110101000000", "city_management_enforcement"),
            unit("XC-ZF", "110102000000", "city_management_enforcement"),
        ]
    }

    /// 2026-07-15 at a Beijing local time.
    fn at(hour: i8) -> Timestamp {
        jiff::civil::date(2026, 7, 15).at(hour, 0, 0, 0).to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).unwrap().timestamp()
    }

    fn route(routing: &Routing, category: &str, region: Option<&str>, hour: i8) -> Route {
        let zone = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        routing.route(RouteQuery { category, region, at: at(hour), time_zone: &zone }, &catalogue(), &small_tree(), &units())
    }

    fn problems(result: Result<Routing, DomainError>) -> Vec<FileProblem> {
        match result {
            Err(DomainError::InvalidFiles(p)) => p,
            other => panic!("expected problems, got {other:?}"),
        }
    }

    const RULES: &str = r#"
[[rule]]
id = "night-noise"
entries = ["S0301"]
window = { hours = "22:00-06:00" }
unit_type = "city_management_enforcement"
[[rule]]
id = "dongcheng-construction"
entries = ["S03"]
regions = ["110101000000"]
unit_type = "district_city_management"
[[rule]]
id = "summer-dust"
entries = ["S0302"]
window = { from = "2026-06-01", until = "2026-08-31" }
unit_type = "city_management_enforcement"
"#;

    #[test]
    fn without_a_rule_the_catalogue_default_finds_the_unit_covering_the_street() {
        let routing = routing("").unwrap();
        let route = route(&routing, "S0301", Some("110101002000"), 10);
        assert!(route.certain, "{route:?}");
        assert_eq!(route.unit.as_deref(), Some("JS"));
        assert_eq!(route.rule.unwrap().id, "catalogue:S");
        assert!(route.reason.contains("JS单位"), "{}", route.reason);
    }

    #[test]
    fn the_district_rule_overrides_the_city_wide_one_and_windows_apply_only_in_their_time() {
        let routing = routing(RULES).unwrap();
        // 东城, night: the district's rule (a region) beats the city-wide night rule (an entry).
        let dongcheng = route(&routing, "S0301", Some("110101001000"), 23);
        assert_eq!((dongcheng.rule.as_ref().unwrap().id.as_str(), dongcheng.unit.as_deref()), ("dongcheng-construction", Some("DC-CGW")));
        assert_eq!(dongcheng.matched.iter().map(|m| m.id.as_str()).collect::<Vec<_>>(), ["dongcheng-construction", "night-noise", "catalogue:S"]);
        // 西城 at night: the night rule; by day: the catalogue's default, and 西城 has no street office here.
        let night = route(&routing, "S0301", Some("110102001000"), 23);
        assert_eq!((night.rule.unwrap().id.as_str(), night.unit.as_deref()), ("night-noise", Some("XC-ZF")));
        let day = route(&routing, "S0301", Some("110102001000"), 10);
        assert!(!day.certain);
        assert_eq!(day.unit_type.as_deref(), Some("street_office"));
        assert!(day.reason.contains("没有这一类单位负责西长安街街道"), "{}", day.reason);
        // The summer window holds in July; the entry's own default (S0302 → district) loses to it.
        let dust = route(&routing, "S0302", Some("110102001000"), 10);
        assert_eq!((dust.rule.unwrap().id.as_str(), dust.unit.as_deref()), ("summer-dust", Some("XC-ZF")));
    }

    #[test]
    fn uncertain_routes_go_to_the_dispatcher_with_the_reason() {
        let routing = routing(RULES).unwrap();
        let no_region = route(&routing, "S0301", None, 10);
        assert!(!no_region.certain && no_region.unit.is_none());
        assert!(no_region.reason.contains("尚无所属地区"), "{}", no_region.reason);
        // Two enforcement units cover 东华门 at the same (district) level.
        let mut two = units();
        two.push(unit("DC-ZF2", "110101000000", "city_management_enforcement"));
        let zone = jiff::tz::TimeZone::get("Asia/Shanghai").unwrap();
        let query = RouteQuery { category: "S0301", region: Some("110102001000"), at: at(23), time_zone: &zone };
        assert!(routing.route(query, &catalogue(), &small_tree(), &two).certain, "西城 has one");
        let query = RouteQuery { region: Some("110101001000"), ..query };
        let routing = self::routing(&RULES.replace("regions = [\"110101000000\"]", "regions = [\"110102000000\"]")).unwrap();
        let tie = routing.route(query, &catalogue(), &small_tree(), &two);
        assert!(!tie.certain);
        assert_eq!(tie.candidates, ["DC-ZF", "DC-ZF2"]);
    }

    #[test]
    fn a_rule_naming_a_unit_is_certain_and_an_unknown_unit_is_reported() {
        let routing = routing(
            r#"
[[rule]]
id = "jingshan-own"
entries = ["S"]
regions = ["110101002000"]
unit = "DC-CGW"
[[rule]]
id = "ghost"
regions = ["110102001000"]
unit = "NOBODY"
"#,
        )
        .unwrap();
        let route = route(&routing, "S0302", Some("110101002000"), 10);
        assert_eq!((route.certain, route.unit.as_deref()), (true, Some("DC-CGW")));
        let unknown = routing.unknown_units(|code| units().iter().any(|u| u.code == code));
        assert_eq!(unknown.len(), 1);
        assert!(unknown[0].message.contains("NOBODY") && unknown[0].line.is_some(), "{unknown:?}");
    }

    #[test]
    fn contradictory_or_broken_rules_are_refused_whole_with_lines() {
        let found = problems(routing(
            r#"
[[rule]]
id = "a"
entries = ["S03"]
unit_type = "street_office"
[[rule]]
id = "a"
entries = ["S03"]
unit_type = "district_city_management"
[[rule]]
id = "b"
entries = ["S09"]
regions = ["999"]
unit_type = "plumbers"
[[rule]]
id = "c"
unit_type = "street_office"
unit = "DHM"
[[rule]]
id = "d"
entries = ["S0301"]
window = { from = "2026-09-01", until = "2026-08-01" }
unit_type = "street_office"
"#,
        ));
        let messages: Vec<String> = found.iter().map(ToString::to_string).collect();
        let expect = [
            "line 16: rule id a is used twice (first on line 12)",
            "line 16: rule a contradicts rule a (line 12)",
            "line 20: rule b names unknown catalogue entry S09",
            "line 20: rule b names unknown region 999",
            "line 20: rule b names unknown unit type plumbers",
            "line 25: rule c needs either unit_type or unit",
            "line 29: rule d: window from 2026-09-01 is after until 2026-08-01",
        ];
        assert_eq!(messages.len(), expect.len(), "{messages:#?}");
        for (message, expected) in messages.iter().zip(expect) {
            assert!(message.contains(expected), "{message} does not contain {expected}");
        }
        assert!(problems(routing("[[rule]]\nid = \"x\"\nwindow = { hours = \"25:00-06:00\" }\nunit_type = \"street_office\"\n"))[0]
            .message
            .contains("HH:MM"));
        assert!(problems(routing("[[rule]]\nid = \"x\"\ncolour = 1\n"))[0].message.contains("colour"));
    }

    #[test]
    fn windows_that_do_not_overlap_are_not_a_contradiction() {
        let rules = r#"
[[rule]]
id = "day"
entries = ["S0301"]
window = { hours = "06:00-22:00" }
unit_type = "street_office"
[[rule]]
id = "night"
entries = ["S0301"]
window = { hours = "22:00-06:00" }
unit_type = "city_management_enforcement"
"#;
        assert!(routing(rules).is_ok());
        assert!(routing(&rules.replace("06:00-22:00", "05:00-22:00")).is_err(), "05:00–06:00 is in both");
    }

    #[test]
    fn a_catalogue_naming_an_unknown_unit_type_is_refused() {
        let catalogue = Catalogue::from_toml(&CATALOGUE.replace("district_city_management", "plumbers")).unwrap();
        let err = Routing::from_toml(TYPES, &catalogue, &small_tree()).unwrap_err();
        assert!(err.to_string().contains("catalogue.toml line 15: entry S0302 names unknown unit type plumbers"), "{err}");
    }

    #[test]
    fn export_reads_back_to_the_same_rules() {
        let routing = routing(RULES).unwrap();
        let again = Routing::from_toml(&routing.to_toml(), &catalogue(), &small_tree()).unwrap();
        assert_eq!(again.rules(), routing.rules());
        assert_eq!(again.unit_types(), routing.unit_types());
    }
}
