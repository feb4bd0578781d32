//! The alleys on a real store, on every engine of `fresh_databases`: an office's file registered
//! whole or not at all, a steward's patrol filed as cases (once, however often it is sent), and
//! six monthly evaluations computed by hand — a hotline case 30 m from the line counts and one
//! 300 m away does not, one bad month downgrades, two list, a good month de-lists, exactly three
//! good months restore, the title is warned and named again.

use std::sync::Arc;

use gridline_app::{App, AppError};
use gridline_core::actor::{Actor, Role};
use gridline_core::alley::{AlleyRules, Change, FourHaves, Grade, NewAlley, NewPatrol, Problem, TitleStatus};
use gridline_core::case::{Channel, GeoPoint, Intake};
use gridline_core::ids::UnitCode;
use gridline_core::message::Lang;
use gridline_core::period::Month;
use gridline_core::unit::{Unit, UnitKind};
use gridline_store::testing::fresh_databases;
use gridline_store::{NewUser, Store};
use jiff::{SignedDuration, Timestamp};

const WANGJING: &str = "110105026000";

async fn user(store: &Store, name: &str, role: Role, unit: Option<&str>) -> Actor {
    let new = NewUser { username: name.into(), display_name: name.into(), role, unit: unit.map(|u| UnitCode::parse(u).unwrap()), password_hash: "!".into() };
    store.people().create_user(&new, Timestamp::now()).await.unwrap().actor()
}

/// Whether a file problem's Chinese text holds no English once its parameters (codes, column
/// names, the file's own words) are left out.
fn chinese_only(problem: &gridline_core::FileProblem) -> bool {
    let mut text = problem.render(Lang::Zh);
    let mut values: Vec<&str> = problem.reason.params().map(|(_, v)| v).filter(|v| v.chars().any(|c| c.is_ascii_alphabetic())).collect();
    values.sort_by_key(|v| std::cmp::Reverse(v.len()));
    for value in values {
        text = text.replace(value, "");
    }
    !gridline_core::message::has_english(&text) && text.chars().any(|c| ('\u{4e00}'..='\u{9fff}').contains(&c))
}

fn problem(clause: &str, count: u32) -> Problem {
    Problem { clause: clause.into(), count: Some(count), note: None, case_id: None }
}

fn month(text: &str) -> Month {
    Month::parse(text).unwrap()
}

/// The middle of a month, for records that count in it.
fn mid(m: &str) -> Timestamp {
    month(m).start() + SignedDuration::from_hours(24 * 14)
}

#[tokio::test]
async fn alleys_are_registered_patrolled_and_evaluated_month_by_month() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let regions = Arc::new(gridline_geo::beijing());
        let now = Timestamp::now();
        let unit = Unit { code: UnitCode::parse("CY-WJ").unwrap(), name: "望京街道办事处".into(), kind: UnitKind::StreetOffice, regions: vec![WANGJING.parse().unwrap()], types: vec!["street_office".into()] };
        store.people().put_unit(&unit, now).await.unwrap();
        let app = App::new(store.clone(), regions.clone(), &Default::default()).await.unwrap();
        let office = user(&store, "office", Role::Dispatcher, None).await;
        let steward = user(&store, "steward", Role::GridWorker, Some("CY-WJ")).await;
        let stranger = user(&store, "stranger", Role::GridWorker, Some("CY-WJ")).await;
        let operator = user(&store, "operator", Role::HotlineOperator, None).await;

        // An east–west alley of 0.002° (about 171 m) from 望京's label point.
        let (lat, lon) = regions.get(WANGJING).unwrap().label_point.unwrap();
        let line = vec![GeoPoint { lat, lon }, GeoPoint { lat, lon: lon + 0.002 }];
        let alley = |code: &str, name: &str, line: Vec<GeoPoint>| NewAlley {
            code: code.into(),
            name: name.into(),
            line,
            community: Some("望京西园社区".into()),
            grade: Grade::Fine,
            unit: None,
            four: FourHaves { chief: Some("张建国".into()), stewards: vec!["李秀英".into()], council: None, compact: Some("街巷公约".into()) },
            title_named_in: Some(month("2024-12")),
        };

        // A file with a missing name, a broken geometry, a line outside the city and a duplicated
        // code: every problem is reported with its row, and nothing is written.
        let rows = vec![
            (2, Ok(alley("WJ-001", "望京测试胡同", line.clone()))),
            (3, Ok(alley("WJ-002", " ", line.clone()))),
            (4, Ok(alley("WJ-003", "断线胡同", vec![line[0]]))),
            (5, Ok(alley("WJ-004", "上海里", vec![GeoPoint { lat: 31.2, lon: 121.5 }, GeoPoint { lat: 31.2, lon: 121.502 }]))),
            (6, Ok(alley("WJ-001", "重复胡同", line.clone()))),
            (7, Err("geometry: not a LineString".to_owned())),
        ];
        let err = app.import_alleys(&office, rows, now).await.unwrap_err();
        let AppError::Domain(gridline_core::DomainError::InvalidFiles(problems)) = &err else { panic!("{engine}: {err}") };
        let lines: Vec<(Option<usize>, &str)> = problems.iter().map(|p| (p.line, p.message.as_str())).collect();
        assert_eq!(lines.iter().map(|l| l.0).collect::<Vec<_>>(), vec![Some(3), Some(4), Some(5), Some(6), Some(7)], "{engine}: {lines:?}");
        assert!(lines[0].1.starts_with("name"), "{engine}: {lines:?}");
        assert!(lines[1].1.contains("from 2"), "{engine}: {lines:?}");
        assert!(lines[2].1.contains("outside the city"), "{engine}: {lines:?}");
        assert!(lines[3].1.contains("twice"), "{engine}: {lines:?}");
        // Each problem by its stable code, told in Chinese with no English beyond its parameters.
        let codes: Vec<&str> = problems.iter().map(|p| p.reason.code()).collect();
        assert_eq!(codes, ["required", "bad_cell", "outside_city", "code_twice", "bad_row"], "{engine}");
        for problem in problems {
            assert!(chinese_only(problem), "{engine}: English in {:?}", problem.render(Lang::Zh));
        }
        assert_eq!(problems[0].render(Lang::Zh), "请填写“名称”", "{engine}");
        assert!(store.alleys().list("").await.unwrap().is_empty(), "{engine}: nothing half-written");
        assert!(store.evaluation().point_by_code("WJ-001").await.unwrap().is_none(), "{engine}");

        let created = app.import_alleys(&office, vec![(2, Ok(alley("WJ-001", "望京测试胡同", line.clone())))], now).await.unwrap();
        let id = created[0].point.id;
        assert_eq!(created[0].point.region, WANGJING, "{engine}");
        assert!((created[0].length_m - 170.8).abs() < 1.0, "{engine}: {}", created[0].length_m);
        let again = app.import_alleys(&office, vec![(2, Ok(alley("WJ-001", "望京测试胡同", line.clone())))], now).await.unwrap_err();
        assert!(again.to_string().contains("registered already"), "{engine}: {again}");
        let AppError::Domain(gridline_core::DomainError::InvalidFiles(registered)) = &again else { panic!("{engine}: {again}") };
        assert_eq!(registered[0].render(Lang::Zh), "编码“WJ-001”已经登记过", "{engine}");
        assert!(app.import_alleys(&steward, vec![], now).await.is_err(), "{engine}: the office registers");
        app.assign_stewards(&office, &[(id, steward.user_id)]).await.unwrap();

        // A patrol by someone the alley is not assigned to is refused; the steward's problem is
        // filed as a case on the alley patrol channel; sent again, it is the same patrol.
        let patrol = NewPatrol { id: "phone-0001".into(), problems: vec![problem("N03", 2)], position: None };
        let refused = app.submit_patrol(&stranger, id, patrol.clone(), now).await.unwrap_err();
        assert!(matches!(refused, AppError::Domain(gridline_core::DomainError::Forbidden { .. })), "{engine}: {refused}");
        let (first, created_now) = app.submit_patrol(&steward, id, patrol.clone(), now).await.unwrap();
        assert!(created_now, "{engine}");
        let case_id = first.problems[0].case_id.expect("the problem's case");
        let case = store.cases().get(case_id).await.unwrap().unwrap();
        assert_eq!((case.intake.channel, case.intake.category.as_deref(), case.region.as_deref()), (Channel::AlleyPatrol, Some("W0503"), Some(WANGJING)), "{engine}");
        let cases_before = store.cases().count().await.unwrap();
        let (second, created_again) = app.submit_patrol(&steward, id, patrol.clone(), now + SignedDuration::from_mins(5)).await.unwrap();
        assert!(!created_again, "{engine}");
        assert_eq!(second, first, "{engine}");
        assert_eq!(store.cases().count().await.unwrap(), cases_before, "{engine}: nothing filed twice");
        let mut changed = patrol.clone();
        changed.problems[0].count = Some(3);
        assert!(matches!(app.submit_patrol(&steward, id, changed, now).await, Err(AppError::Conflict(_))), "{engine}");
        let unknown = NewPatrol { id: "phone-0002".into(), problems: vec![problem("N99", 1)], position: None };
        assert!(app.submit_patrol(&steward, id, unknown, now).await.unwrap_err().to_string().contains("no clause"), "{engine}");
        assert!(store.alleys().patrol("phone-0002").await.unwrap().is_none(), "{engine}");
        // A clean patrol with a position, after one without (a NULL double first on PostgreSQL).
        let clean = NewPatrol { id: "phone-0003".into(), problems: vec![], position: Some(GeoPoint { lat, lon: lon + 0.001 }) };
        let (clean, _) = app.submit_patrol(&steward, id, clean, now).await.unwrap();
        assert_eq!((clean.problems.len(), clean.position.map(|p| p.lat)), (0, Some(lat)), "{engine}");

        // January 2025: checks of 95 (N01 once: −5) and 90 (N03 three times: −10, the clause's
        // floor) → 92.5; a hotline case 30 m north of the line's middle counts (−2), one 300 m
        // north does not: 90.5.
        app.record_alley_check(&office, id, mid("2025-01").to_zoned(jiff::tz::TimeZone::UTC).date(), vec![problem("N01", 1)], now).await.unwrap();
        let day2 = (mid("2025-01") + SignedDuration::from_hours(48)).to_zoned(jiff::tz::TimeZone::UTC).date();
        app.record_alley_check(&office, id, day2, vec![problem("N03", 3)], now).await.unwrap();
        assert!(matches!(app.record_alley_check(&office, id, day2, vec![], now).await, Err(AppError::Conflict(_))), "{engine}: one check a day");
        let middle = GeoPoint { lat, lon: lon + 0.001 };
        let mut hotline = Vec::new();
        for (n, metres) in [(1, 30.0), (2, 300.0)] {
            let intake = Intake {
                channel: Channel::Hotline,
                external_id: Some(format!("12345-{n}")),
                category: None,
                category_version: None,
                source: None,
                emergency: false,
                region: None,
                title: "路边堆放杂物".into(),
                description: "有人在路边堆放了很多杂物，影响通行".into(),
                address: None,
                location: Some(GeoPoint { lat: middle.lat + metres / 111_320.0, lon: middle.lon }),
                reporter: None,
                photos: vec![],
                suggestion: None,
            };
            hotline.push(app.file_case(intake, &operator, mid("2025-01")).await.unwrap().case.id);
        }
        let rules = AlleyRules::default();
        let jan = app.evaluate_alley_month(&office, month("2025-01"), &rules, now).await.unwrap();
        assert_eq!((jan.scored, jan.cases_on_alleys, jan.downgraded), (1, 1, 0), "{engine}");
        let detail = app.alley_detail(id).await.unwrap();
        let s = &detail.scores[0].score;
        assert_eq!((s.check_mean, s.hotline_cases, s.other_cases, s.score), (92.5, 1, 0, 90.5), "{engine}");
        // The alley's page lists the case its score counted: the one 30 m away, not the one at 300 m.
        let listed: Vec<_> = detail.cases.iter().map(|c| (c.id, c.channel, c.month)).collect();
        assert_eq!(listed, vec![(hotline[0], Channel::Hotline, month("2025-01"))], "{engine}");
        assert!(matches!(app.evaluate_alley_month(&office, month("2025-01"), &rules, now).await, Err(AppError::Conflict(_))), "{engine}: once a month");
        assert!(app.evaluate_alley_month(&office, Month::of(now), &rules, now).await.is_err(), "{engine}: a month not over");

        // February and March at 85 (three clauses failed once): downgraded in February, listed
        // after the second bad month; the first quarter's re-check warns the title.
        for m in ["2025-02", "2025-03"] {
            let day = mid(m).to_zoned(jiff::tz::TimeZone::UTC).date();
            app.record_alley_check(&office, id, day, vec![problem("N01", 1), problem("N02", 1), problem("N03", 1)], now).await.unwrap();
            app.evaluate_alley_month(&office, month(m), &rules, now).await.unwrap();
        }
        let detail = app.alley_detail(id).await.unwrap();
        assert!(detail.cases.is_empty(), "{engine}: March, its latest score, counted no case");
        assert_eq!(detail.alley.standing.grade, Grade::Standard, "{engine}");
        assert!(detail.listed, "{engine}");
        let listing = detail.listing.clone().unwrap();
        assert_eq!(listing.target, "WJ-001", "{engine}");
        assert_eq!(detail.alley.title.unwrap().status, TitleStatus::Warned, "{engine}");
        let entries = app.alley_map(Some("110105000000"), month("2025-03")).await.unwrap();
        assert_eq!((entries.len(), entries[0].score, entries[0].listed), (1, Some(85.0), true), "{engine}");

        // April to June clean (100): April's re-check de-lists; June restores (exactly three good
        // months) and the second quarter's re-check names the title again.
        for (n, m) in ["2025-04", "2025-05", "2025-06"].into_iter().enumerate() {
            let day = mid(m).to_zoned(jiff::tz::TimeZone::UTC).date();
            app.record_alley_check(&office, id, day, vec![], now).await.unwrap();
            let summary = app.evaluate_alley_month(&office, month(m), &rules, now).await.unwrap();
            assert_eq!(summary.delisted, usize::from(n == 0), "{engine}: {m}");
            let grade = app.alley_detail(id).await.unwrap().alley.standing.grade;
            assert_eq!(grade, if n < 2 { Grade::Standard } else { Grade::Fine }, "{engine}: {m}");
        }
        let detail = app.alley_detail(id).await.unwrap();
        assert!(!detail.listed, "{engine}");
        assert_eq!(detail.alley.title.unwrap().status, TitleStatus::Named, "{engine}");
        let kinds: Vec<(String, &'static str)> = detail
            .history
            .iter()
            .map(|h| {
                let kind = match &h.change {
                    Change::TitleNamed => "title_named",
                    Change::Downgraded { .. } => "downgraded",
                    Change::ListingDue { .. } => "listing_due",
                    Change::Listed { .. } => "listed",
                    Change::ListingChecked { delisted: true, .. } => "delisted",
                    Change::ListingChecked { .. } => "listing_checked",
                    Change::Title { .. } => "title",
                    Change::Restored { .. } => "restored",
                };
                (h.month.to_string(), kind)
            })
            .collect();
        let expected = [
            ("2024-12", "title_named"),
            ("2025-02", "downgraded"),
            ("2025-03", "listing_due"),
            ("2025-03", "title"),
            ("2025-03", "listed"),
            ("2025-04", "delisted"),
            ("2025-06", "restored"),
            ("2025-06", "title"),
        ];
        assert_eq!(kinds, expected.map(|(m, k)| (m.to_owned(), k)).to_vec(), "{engine}");

        // The ranking of June: the one alley, first everywhere; June ends a quarter, so the
        // quarter's worst are named (its mean 100).
        let ranking = app.alley_ranking(month("2025-06"), Some(WANGJING)).await.unwrap();
        assert_eq!(ranking.items.len(), 1, "{engine}");
        let r = &ranking.items[0];
        assert_eq!((r.rank_in_city, r.rank_in_district, r.rank_in_street, r.score), (1, 1, 1, 100.0), "{engine}");
        assert_eq!(ranking.named_worst.len(), 1, "{engine}");
        assert_eq!(ranking.named_worst[0].quarter_mean, 100.0, "{engine}");
        let board = app.patrol_board(WANGJING, now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date()).await.unwrap();
        assert_eq!((board.len(), board[0].patrols, board[0].problems), (1, 2, 1), "{engine}");
    }
}
