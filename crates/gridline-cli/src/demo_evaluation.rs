//! The demo city's evaluation (测评): inspection points in every street and a quarter of weekly
//! field-check rounds, answered through the application's own services, so that every failure
//! became a case through the one intake, and the older ones were dispatched, handled and
//! verified; and this half-year's material review (材料审核) with its joint review. Provenance
//! (what is invented): data/evaluation/PROVENANCE.md.

use std::sync::Arc;

use gridline_app::{App, AppError, TextOptions};
use gridline_core::actor::Actor;
use gridline_core::case::{CaseId, CaseStatus, GeoPoint};
use gridline_core::evaluation::{Answer, Location, NewPoint, NewRound, Outcome, PointType, SamplingLevel, SamplingPlan, ScoringRule};
use gridline_core::region::{RegionLevel, RegionTree};
use gridline_core::workflow::Command;
use gridline_geo::{Geography, LatLon};
use gridline_store::Store;
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

/// Weekly rounds: a quarter.
const WEEKS: i64 = 13;
/// Points registered per street, by type.
const POINTS_PER_STREET: [(PointType, usize); 11] = [
    (PointType::MainRoad, 1),
    (PointType::CommercialStreet, 1),
    (PointType::BackAlley, 3),
    (PointType::FarmersMarket, 1),
    (PointType::BusStop, 2),
    (PointType::Community, 2),
    (PointType::SchoolArea, 1),
    (PointType::Hospital, 1),
    (PointType::ParkSquare, 1),
    (PointType::ServiceWindow, 1),
    (PointType::ConstructionSite, 1),
];
const DIRECTIONS: [&str; 4] = ["东", "西", "南", "北"];
const ORDINALS: [&str; 4] = ["一", "二", "三", "四"];

/// What the demo's evaluation made.
pub struct Seeded {
    pub points: usize,
    pub rounds: usize,
    pub answers: usize,
    pub cases: usize,
    pub verified: usize,
    /// Questionnaire responses (imported over the quarter, and entered by enumerators today).
    pub responses: usize,
}

/// The demo's questionnaire as an XLSForm's sheets (invented; the scale and the structure are
/// what local 群众满意度调查 use): survey, choices, settings.
pub const DEMO_SURVEY: [[&str; 7]; 12] = [
    ["type", "name", "label::Chinese (zh)", "required", "relevant", "weight", "clause"],
    ["start", "start", "", "", "", "", ""],
    ["begin group", "environment", "一、城市环境与秩序", "", "", "", ""],
    ["select_one satisfaction", "sanitation", "您对所在街道的环境卫生是否满意？", "yes", "", "2", "5.1.1"],
    ["select_one satisfaction", "traffic", "您对周边交通秩序（乱停车、占道经营）是否满意？", "yes", "", "1", "5.1.1"],
    ["select_one satisfaction", "alleys", "您对背街小巷的整治效果是否满意？", "yes", "", "1", "5.1.1"],
    ["select_multiple problems", "problems", "您认为最突出的问题是？（可多选）", "yes", "${sanitation} = '1' or ${sanitation} = '2'", "", ""],
    ["end group", "", "", "", "", "", ""],
    ["select_one yn", "values", "您是否知道社会主义核心价值观的内容？", "yes", "", "", "5.1.2"],
    ["select_one satisfaction", "overall", "总体上，您对本区文明城区创建工作是否满意？", "yes", "", "2", "5.1.1"],
    ["integer", "age", "您的年龄", "no", "", "", ""],
    ["text", "advice", "您对创建工作还有什么建议？", "no", "${age} >= 16", "", ""],
];
pub const DEMO_CHOICES: [[&str; 4]; 9] = [
    ["list_name", "name", "label", "score"],
    ["yn", "yes", "知道", "100"],
    ["yn", "no", "不知道", "0"],
    ["yn", "unsure", "说不清", ""],
    ["problems", "litter", "乱扔垃圾、垃圾清运不及时", ""],
    ["problems", "parking", "乱停车", ""],
    ["problems", "stalls", "占道经营", ""],
    ["problems", "wires", "架空线乱", ""],
    ["problems", "other", "其他", ""],
];
pub const DEMO_SETTINGS: [[&str; 3]; 2] = [["form_title", "form_id", "version"], ["文明城区创建群众满意度调查", "sat-demo", "1"]];

fn rows<const N: usize>(sheet: &[[&str; N]]) -> Vec<Vec<String>> {
    sheet.iter().map(|r| r.iter().map(|c| (*c).to_owned()).collect()).collect()
}

/// Responses per street over the quarter.
const RESPONSES_PER_STREET: usize = 10;

/// One respondent's answers: each satisfaction question drawn around the district's mood (its
/// field-check failure rate makes it worse), as a row of the import.
fn demo_response(rng: &mut StdRng, mood: f64) -> Vec<(&'static str, String)> {
    let level = |rng: &mut StdRng| -> String {
        let x: f64 = rng.random::<f64>() * 0.9 + mood * 0.5;
        (if x < 0.45 { "5" } else if x < 0.7 { "4" } else if x < 0.85 { "3" } else if x < 0.95 { "2" } else { "1" }).to_owned()
    };
    let sanitation = level(rng);
    let mut row = vec![("sanitation", sanitation.clone()), ("traffic", level(rng)), ("alleys", level(rng)), ("overall", level(rng))];
    if sanitation == "1" || sanitation == "2" {
        row.push(("problems", ["litter", "parking stalls", "wires", "litter parking"][rng.random_range(0..4)].to_owned()));
    }
    row.push(("values", ["yes", "yes", "yes", "no", "unsure"][rng.random_range(0..5)].to_owned()));
    if rng.random_bool(0.6) {
        let age: u32 = rng.random_range(18..80);
        row.push(("age", age.to_string()));
        if rng.random_bool(0.2) {
            row.push(("advice", "希望加强背街小巷的日常保洁".to_owned()));
        }
    }
    row
}

/// Seeds the quarter's satisfaction questionnaire: read from its XLSForm, opened (a link per
/// district), answered by about ten respondents per street over the quarter (imported as a file
/// is), a few entered by enumerators today, and the office's 点评 of this month.
pub async fn seed_questionnaire(store: &Store, regions: &RegionTree, office: &Actor, enumerator: &Actor, now: Timestamp) -> anyhow::Result<usize> {
    use gridline_app::questionnaires::ResponseBody;
    use gridline_core::evaluation::Form;
    let app = App::new(store.clone(), Arc::new(regions.clone()), &TextOptions::default()).await?;
    let mut rng = StdRng::seed_from_u64(2026_1021);
    let form = Form::from_xlsform(&rows(&DEMO_SURVEY), &rows(&DEMO_CHOICES), &rows(&DEMO_SETTINGS))?;
    let start = now - SignedDuration::from_hours(24 * 7 * WEEKS);
    let questionnaire = app.create_questionnaire(office, "sat-demo", form, start).await?;
    app.open_questionnaire(office, questionnaire.id, None, start).await?;
    let columns = ["respondent", "street", "submitted_at", "sanitation", "traffic", "alleys", "problems", "values", "overall", "age", "advice"];
    let mut table = vec![columns.iter().map(|c| (*c).to_owned()).collect::<Vec<_>>()];
    let span = now.duration_since(start).as_secs();
    for street in regions.at_level(RegionLevel::Street) {
        let mood = failure_rate(&street.code[..6]) * 2.0;
        for n in 0..RESPONSES_PER_STREET {
            let at = start + SignedDuration::from_secs(rng.random_range(0..span.max(1)));
            let answers = demo_response(&mut rng, mood);
            let row = columns
                .iter()
                .map(|c| match *c {
                    "respondent" => format!("demo-{}-{n:02}", street.code),
                    "street" => street.code.clone(),
                    "submitted_at" => at.to_string(),
                    q => answers.iter().find(|(name, _)| *name == q).map(|(_, v)| v.clone()).unwrap_or_default(),
                })
                .collect();
            table.push(row);
        }
    }
    let imported = app.import_responses(office, questionnaire.id, &table, now).await?;
    let mut entered = 0;
    for (n, street) in regions.at_level(RegionLevel::Street).take(20).enumerate() {
        let answers = demo_response(&mut rng, 0.2)
            .into_iter()
            .map(|(q, v)| (q.to_owned(), form_value(&questionnaire.form, q, &v)))
            .collect();
        let body = ResponseBody { respondent: format!("enum-{n:04}-{}", &street.code[6..9]), street: street.code.clone(), answers };
        app.submit_enumerated(enumerator, questionnaire.id, body, now).await?;
        entered += 1;
    }
    let month = gridline_core::period::Month::of(now);
    app.put_evaluation_comment(office, month, None, "本月各区创建工作总体平稳，背街小巷环境秩序仍是主要失分点；排名末位的区要对照体检报告立行立改，下月复查。", now).await?;
    Ok(imported.imported + entered)
}

/// A cell of the demo's table as the answer its question takes.
fn form_value(form: &gridline_core::evaluation::Form, question: &str, cell: &str) -> gridline_core::evaluation::AnswerValue {
    form.question(question).map_or_else(|| gridline_core::evaluation::AnswerValue::Text(cell.to_owned()), |q| q.kind.read_cell(cell))
}

/// The short form of a street's name for place names: 望京街道 → 望京.
fn short(street: &str) -> &str {
    ["街道", "地区", "镇", "乡"].iter().find_map(|s| street.strip_suffix(s)).filter(|s| !s.is_empty()).unwrap_or(street)
}

fn name_of(point_type: PointType, street: &str, n: usize) -> String {
    let s = short(street);
    match point_type {
        PointType::MainRoad => format!("{s}大街"),
        PointType::CommercialStreet => format!("{s}商业街"),
        PointType::BackAlley => format!("{s}{}{}巷", DIRECTIONS[n % 4], ORDINALS[n / 4 % 4]),
        PointType::FarmersMarket => format!("{s}农贸市场"),
        PointType::BusStop => format!("{s}{}公交站", if n == 0 { "" } else { "东口" }),
        PointType::Community => format!("{s}{}社区", ["第一", "第二", "第三"][n % 3]),
        PointType::SchoolArea => format!("{s}小学周边"),
        PointType::Hospital => format!("{s}社区卫生服务中心"),
        PointType::ParkSquare => format!("{s}街心公园"),
        PointType::ServiceWindow => format!("{s}政务服务中心"),
        PointType::ConstructionSite => format!("{s}安置房项目工地"),
    }
}

/// Registers the points of every street near its label point: roads and alleys as short lines,
/// the rest as places; a place that locate puts in no street is left out.
async fn register_points(app: &App, office: &Actor, regions: &RegionTree, rng: &mut StdRng, at: Timestamp) -> Result<usize, AppError> {
    let geo = Geography::beijing();
    let mut made = 0;
    for street in regions.at_level(RegionLevel::Street) {
        let Some((lat, lon)) = street.label_point else { continue };
        let unit = app.unit(&format!("{}-JD", street.code)).map(|u| u.code);
        for (point_type, count) in POINTS_PER_STREET {
            for n in 0..count {
                // Within about 300 m of the label point, which lies inside the street.
                let at_point = (lat + rng.random_range(-0.0027..0.0027), lon + rng.random_range(-0.0035..0.0035));
                if geo.street_at(LatLon { lat: at_point.0, lon: at_point.1 }) != Some(street.code.as_str()) {
                    continue;
                }
                let location = match point_type {
                    PointType::MainRoad | PointType::CommercialStreet | PointType::BackAlley => {
                        let east = if point_type == PointType::BackAlley { 0.0015 } else { 0.003 };
                        Location::Line {
                            points: vec![GeoPoint { lat: at_point.0, lon: at_point.1 - east / 2.0 }, GeoPoint { lat: at_point.0, lon: at_point.1 + east / 2.0 }],
                        }
                    }
                    _ => Location::Point { lat: at_point.0, lon: at_point.1 },
                };
                let new = NewPoint {
                    code: format!("{}-{}-{}", &street.code[..9], point_type.as_str(), n + 1),
                    name: name_of(point_type, &street.name, n),
                    point_type,
                    location,
                    unit: unit.clone(),
                    address: None,
                };
                match app.create_point(office, new, at).await {
                    Ok(_) => made += 1,
                    // The line's middle fell outside the street's polygon: left out.
                    Err(AppError::Domain(_)) => {}
                    Err(e) => return Err(e),
                }
            }
        }
    }
    Ok(made)
}

/// How often a district's points fail a clause: fixed per district, so that the ranking is stable.
fn failure_rate(district: &str) -> f64 {
    let spread = district.bytes().fold(7u32, |h, b| h.wrapping_mul(31).wrapping_add(u32::from(b))) % 100;
    0.04 + f64::from(spread) / 100.0 * 0.22
}

/// The demo's answer to a clause.
fn answer_for(rng: &mut StdRng, code: &str, rule: ScoringRule, fail_rate: f64) -> Answer {
    let roll: f64 = rng.random();
    let (outcome, count) = if roll < 0.03 {
        (Outcome::NotApplicable, None)
    } else if roll < 0.03 + fail_rate {
        let count = match rule {
            ScoringRule::Deduction { .. } => Some(rng.random_range(1..=3)),
            ScoringRule::Ratio { target } => Some(rng.random_range(0..(target as u32).max(1))),
            ScoringRule::Threshold { .. } => None,
        };
        (Outcome::Fail, count)
    } else {
        (Outcome::Pass, None)
    };
    Answer { clause: code.to_owned(), outcome, count, note: (outcome == Outcome::Fail).then(|| "现场暗访发现".to_owned()), position: None, photos: vec![] }
}

/// Seeds points and a quarter of weekly rounds ending with this week's, still open and half
/// answered. `inspectors` share the points; `office` creates the rounds and registers, dispatches.
pub async fn seed(store: &Store, regions: &RegionTree, office: &Actor, inspectors: &[Actor], now: Timestamp) -> anyhow::Result<Seeded> {
    let app = App::new(store.clone(), Arc::new(regions.clone()), &TextOptions::default()).await?;
    let mut rng = StdRng::seed_from_u64(2026_0021);
    let start = now - SignedDuration::from_hours(24 * 7 * WEEKS);
    let points = register_points(&app, office, regions, &mut rng, start - SignedDuration::from_hours(24)).await?;
    let system = app.indicator_system().await?.system;
    let mut seeded = Seeded { points, rounds: 0, answers: 0, cases: 0, verified: 0, responses: 0 };
    let beijing = jiff::tz::TimeZone::get("Asia/Shanghai")?;
    for week in 0..WEEKS {
        let opens = start + SignedDuration::from_hours(24 * 7 * (week + 1));
        let deadline = opens + SignedDuration::from_hours(24 * 6);
        // Each week checks the alleys and three other types in turn.
        let mut per_type = std::collections::BTreeMap::from([(PointType::BackAlley, 1)]);
        for k in 0..3 {
            let others: Vec<PointType> = PointType::ALL.into_iter().filter(|t| *t != PointType::BackAlley).collect();
            per_type.insert(others[(week as usize * 3 + k) % others.len()], 1);
        }
        let new = NewRound {
            name: format!("{}第{}周实地考察", opens.to_zoned(beijing.clone()).strftime("%Y年%m月"), week + 1),
            starts: opens.to_zoned(beijing.clone()).date(),
            deadline,
            plan: SamplingPlan { level: SamplingLevel::District, per_type, regions: vec![] },
            evaluators: inspectors.iter().map(|i| i.user_id).collect(),
            seed: Some((20_260_000 + week).to_string()),
        };
        let round = app.create_round(office, new, opens).await?;
        seeded.rounds += 1;
        let last = week == WEEKS - 1;
        let assigned = app.round_points(office, round.round.id).await?;
        for (i, assignment) in assigned.iter().enumerate() {
            // This week's round is under way: half its points are answered.
            if last && i % 2 == 1 {
                continue;
            }
            let visited = if last { now } else { opens + SignedDuration::from_mins(rng.random_range(60..60 * 24 * 5)) };
            let fail_rate = failure_rate(&assignment.point.region[..6]);
            let answers: Vec<Answer> =
                system.checklist(assignment.point.point_type).map(|p| answer_for(&mut rng, &p.clause.code, p.clause.rule, fail_rate)).collect();
            let evaluator = inspectors.iter().find(|a| a.user_id == assignment.assignee).expect("an assigned inspector");
            seeded.answers += answers.len();
            let result = app.submit_answers(evaluator, round.round.id, assignment.point.id, answers, visited).await?;
            for clause in &result.clauses {
                let Some(case_id) = clause.answer.as_ref().and_then(|a| a.case_id) else { continue };
                seeded.cases += 1;
                // Findings older than two weeks were mostly put right; the rest are open.
                if now.duration_since(visited) > SignedDuration::from_hours(24 * 14) && rng.random_bool(0.7) && fix(&app, store, office, evaluator, case_id, &assignment.point.region).await? {
                    seeded.verified += 1;
                }
            }
        }
    }
    seeded.responses = seed_questionnaire(store, regions, office, &inspectors[0], now).await?;
    Ok(seeded)
}

/// Registers, dispatches (to the street office, else the district's city-management committee),
/// handles and verifies a finding's case; false when the workflow went elsewhere.
async fn fix(app: &App, store: &Store, office: &Actor, evaluator: &Actor, case_id: CaseId, street: &str) -> Result<bool, AppError> {
    let mut case = app.act(case_id, office, &Command::Register { category: None, region: None, note: Some("创城测评发现问题,立案".into()) }).await?;
    if case.status == CaseStatus::Registered {
        let unit = [format!("{street}-JD"), format!("{}000000-CGW", &street[..6])].into_iter().find_map(|u| app.unit(&u).map(|u| u.code));
        let Some(unit) = unit else { return Ok(false) };
        case = app.act(case_id, office, &Command::Dispatch { unit, note: None, rule: None }).await?;
    }
    let Some(unit) = case.unit.clone() else { return Ok(false) };
    let Some(staff) = store.people().user_by_name(&format!("staff-{unit}")).await? else { return Ok(false) };
    let staff = staff.actor();
    app.act(case_id, &staff, &Command::Accept { note: Some("已签收".into()) }).await?;
    app.act(case_id, &staff, &Command::Handle { feedback: "已按测评要求整改到位".into(), photos: vec![] }).await?;
    app.act(case_id, evaluator, &Command::Verify { passed: true, note: Some("复查已整改".into()) }).await?;
    Ok(true)
}

/// What the demo's material review made.
pub struct MaterialSeeded {
    pub submissions: usize,
    pub scores: usize,
    pub settled: usize,
    pub disagreements: usize,
}

/// A minimal PDF standing for a unit's scanned materials (the demo's own, invented).
fn demo_pdf(title: &str) -> Vec<u8> {
    format!("%PDF-1.4\n% gridline demo: {title}\n1 0 obj << /Type /Catalog /Pages 2 0 R >> endobj\n2 0 obj << /Type /Pages /Kids [] /Count 0 >> endobj\ntrailer << /Root 1 0 R >>\n%%EOF\n").into_bytes()
}

/// Seeds this half-year's material review (每半年网上申报材料): a window opened three weeks
/// ago that closes in five days; the districts' city-management committees submit their
/// materials for each material-review clause (a few have not yet: the reminders name them), with
/// a PDF where the store keeps files; the three inspectors score each, one of them sometimes far
/// from the others; the office settles the disagreements by hand and some others on the mean.
pub async fn seed_material_review(app: &App, regions: &RegionTree, office: &Actor, reviewers: &[Actor], now: Timestamp) -> anyhow::Result<MaterialSeeded> {
    use gridline_app::attachments::Upload;
    use gridline_core::attachment::Expect;
    use gridline_core::evaluation::review::{Half, NewWindow, material_clauses};
    use gridline_core::period::{Month, day_of};
    let mut rng = StdRng::seed_from_u64(2026_0521);
    let today = day_of(now);
    let opened = now - SignedDuration::from_hours(24 * 21);
    let window = app
        .create_material_window(
            office,
            NewWindow {
                half: Half::of(Month::of(now)),
                level: SamplingLevel::District,
                name: None,
                opens: day_of(opened),
                closes: today.checked_add(jiff::Span::new().days(5))?,
                reviewers: reviewers.iter().map(|r| r.user_id).collect(),
            },
            opened,
        )
        .await?;
    let system = app.indicator_system().await?.system;
    let clauses: Vec<(String, f64)> = material_clauses(&system).map(|(c, p)| (c.to_owned(), p)).collect();
    let files = app.store.attachments().dir().is_ok();
    let texts = [
        "本区已印发创建工作方案，明确责任分工，建立周调度、月通报工作台账，附方案及台账扫描件。",
        "本区志愿服务组织健全，注册志愿者队伍按街道全覆盖，附活动记录及照片。",
    ];
    let mut seeded = MaterialSeeded { submissions: 0, scores: 0, settled: 0, disagreements: 0 };
    for (d, district) in regions.at_level(RegionLevel::District).enumerate() {
        let Some(staff) = app.store.people().user_by_name(&format!("staff-{}-CGW", district.code)).await? else { continue };
        let staff = staff.actor();
        // Two districts have submitted nothing yet and two only their first clause.
        let submit = match d % 8 {
            3 => 0,
            6 => 1,
            _ => clauses.len(),
        };
        // How complete the district's materials are: fixed per district.
        let quality = 1.0 - failure_rate(&district.code[..6]) * 1.5;
        for (k, (clause, points)) in clauses.iter().take(submit).enumerate() {
            let at = opened + SignedDuration::from_mins(rng.random_range(60..60 * 24 * 18));
            let text = format!("{}{}", district.name, texts[k % texts.len()]);
            let (reviewed, _) = app.submit_material(&staff, window.id, &district.code, clause, &text, at).await?;
            seeded.submissions += 1;
            let id = reviewed.submission.id;
            if files {
                let upload = Upload { bytes: demo_pdf(&format!("{} {clause}", district.code)), name: format!("{}-{clause}-材料.pdf", district.name), expect: Expect::File };
                app.add_material_files(&staff, window.id, id, vec![upload], at).await?;
            }
            // Three reviewers score; every fourth submission one of them sees it quite differently.
            let base = (points * quality).clamp(0.0, *points);
            let odd = rng.random_range(0..4) == 0;
            for (r, reviewer) in reviewers.iter().enumerate() {
                let noise: f64 = rng.random_range(-0.2..0.2);
                let mut score = (base + noise).clamp(0.0, *points);
                if odd && r == reviewers.len() - 1 {
                    score = (base - points * 0.6).max(0.0);
                }
                let score = (score * 10.0).round() / 10.0;
                let comment = if score >= points * 0.9 { "材料齐全，佐证充分" } else if score >= points * 0.6 { "材料基本齐全，部分台账记录不完整" } else { "材料缺项较多，佐证不足" };
                let scored = at + SignedDuration::from_hours(24 + 6 * r as i64);
                app.score_material(reviewer, window.id, id, score, comment, scored.min(now)).await?;
                seeded.scores += 1;
            }
            let result = app.material_window(office, window.id, today).await?;
            let joint = result.submissions.iter().find(|s| s.submission.id == id).map(|s| s.joint).unwrap_or_default();
            if joint.disagreement {
                seeded.disagreements += 1;
                // The office settles a disagreement by hand, on the two reviewers who agreed.
                let agreed = ((joint.mean.unwrap_or(0.0) * 3.0 - joint.lowest.unwrap_or(0.0)) / 2.0 * 10.0).round() / 10.0;
                app.settle_material(office, window.id, id, Some(agreed.clamp(0.0, *points)), Some("联审意见分歧较大，经复核以两位评审一致意见认定"), now).await?;
                seeded.settled += 1;
            } else if d % 2 == 0 {
                app.settle_material(office, window.id, id, None, None, now).await?;
                seeded.settled += 1;
            }
        }
    }
    Ok(seeded)
}
