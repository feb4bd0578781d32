//! The evaluation on a real store, on every engine of `fresh_databases`: a round drawn from its
//! seed, answers checked against the point's type, a failed clause filed as a case through the
//! one intake, its verified closure clearing the point's rectification, and the scores.

use std::sync::Arc;

use gridline_app::evaluation::ScoreLevel;
use gridline_app::{App, AppError};
use gridline_core::actor::{Actor, Role};
use gridline_core::case::{CaseStatus, Channel};
use gridline_core::evaluation::{Answer, Location, NewPoint, NewRound, Outcome, PointType, Rectification, SamplingLevel, SamplingPlan};
use gridline_core::ids::UnitCode;
use gridline_core::period::{Month, Period};
use gridline_core::unit::{Unit, UnitKind};
use gridline_core::workflow::Command;
use gridline_store::testing::fresh_databases;
use gridline_store::{NewUser, Store};
use jiff::{SignedDuration, Timestamp};

const WANGJING: &str = "110105026000";

async fn user(store: &Store, name: &str, role: Role, unit: Option<&str>) -> Actor {
    let new = NewUser { username: name.into(), display_name: name.into(), role, unit: unit.map(|u| UnitCode::parse(u).unwrap()), password_hash: "!".into() };
    store.people().create_user(&new, Timestamp::now()).await.unwrap().actor()
}

fn cy_wj() -> UnitCode {
    UnitCode::parse("CY-WJ").unwrap()
}

fn answer(clause: &str, outcome: Outcome, count: Option<u32>) -> Answer {
    Answer { clause: clause.into(), outcome, count, note: None, position: None, photos: vec![] }
}

/// A store with 望京's street office and the application on it.
async fn city(url: &str) -> (Store, Arc<gridline_core::region::RegionTree>, App, Timestamp) {
    let store = Store::open(url).await.unwrap();
    let regions = Arc::new(gridline_geo::beijing());
    let now = Timestamp::now();
    let unit = Unit { code: cy_wj(), name: "望京街道办事处".into(), kind: UnitKind::StreetOffice, regions: vec![WANGJING.parse().unwrap()], types: vec!["street_office".into()] };
    store.people().put_unit(&unit, now).await.unwrap();
    let app = App::new(store.clone(), regions.clone(), &Default::default()).await.unwrap();
    (store, regions, app, now)
}

#[tokio::test]
async fn a_failed_clause_becomes_a_case_and_its_verified_closure_clears_the_rectification() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let (store, regions, app, now) = city(&url).await;
        let office = user(&store, "office", Role::Dispatcher, None).await;
        let evaluator = user(&store, "evaluator", Role::Inspector, None).await;
        let other = user(&store, "other", Role::Inspector, None).await;
        let staff = user(&store, "staff", Role::HandlingUnit, Some("CY-WJ")).await;

        // Points in 望京, placed by locate; one outside the city is refused.
        let (lat, lon) = regions.get(WANGJING).unwrap().label_point.unwrap();
        let point = |code: &str, point_type, dlat: f64| NewPoint {
            code: code.into(),
            name: format!("{code}测试点"),
            point_type,
            location: Location::Point { lat: lat + dlat, lon },
            unit: Some(cy_wj()),
            address: None,
        };
        let alley = app.create_point(&office, point("WJ-A1", PointType::BackAlley, 0.0), now).await.unwrap();
        assert_eq!(alley.region, WANGJING, "{engine}");
        app.create_point(&office, point("WJ-R1", PointType::MainRoad, 0.0005), now).await.unwrap();
        app.create_point(&office, point("WJ-H1", PointType::Hospital, -0.0005), now).await.unwrap();
        let mut far = point("FAR", PointType::BusStop, 0.0);
        far.location = Location::Point { lat: 31.2, lon: 121.5 };
        assert!(matches!(app.create_point(&office, far, now).await, Err(AppError::Domain(_))), "{engine}");
        assert!(app.create_point(&office, point("WJ-A1", PointType::BackAlley, 0.0), now).await.is_err(), "{engine}: a taken code");
        assert!(app.create_point(&evaluator, point("WJ-A2", PointType::BackAlley, 0.0), now).await.is_err(), "{engine}: the office registers");

        // A round drawing one alley and one main road in 望京, from seed 7.
        let today = now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date();
        let new_round = NewRound {
            name: "第1周实地考察".into(),
            starts: today,
            deadline: now + SignedDuration::from_hours(24 * 7),
            plan: SamplingPlan {
                level: SamplingLevel::Street,
                per_type: [(PointType::BackAlley, 1), (PointType::MainRoad, 1)].into_iter().collect(),
                regions: vec![WANGJING.into()],
            },
            evaluators: vec![evaluator.user_id],
            seed: Some("7".into()),
        };
        let round = app.create_round(&office, new_round.clone(), now).await.unwrap();
        assert_eq!((round.points, round.round.seed), (2, 7), "{engine}");
        let mut bad = new_round.clone();
        bad.evaluators = vec![staff.user_id];
        assert!(app.create_round(&office, bad, now).await.unwrap_err().to_string().contains("not an inspector"), "{engine}");

        // The evaluator sees the round and its points; another evaluator sees neither.
        assert_eq!(app.rounds(&evaluator, 10).await.unwrap().len(), 1, "{engine}");
        assert!(app.rounds(&other, 10).await.unwrap().is_empty(), "{engine}");
        assert!(matches!(app.round_points(&other, round.round.id).await, Err(AppError::NotFound(_))), "{engine}");
        let points = app.round_points(&evaluator, round.round.id).await.unwrap();
        assert_eq!(points.len(), 2, "{engine}");
        let id = round.round.id;

        // A clause of main roads at an alley is refused and nothing is written.
        let err = app.submit_answers(&evaluator, id, alley.id, vec![answer("1.2.2", Outcome::Pass, None), answer("1.1.1", Outcome::Pass, None)], now).await.unwrap_err();
        assert!(err.to_string().contains("does not apply to a point of type back_alley"), "{engine}: {err}");
        assert!(app.point_result(&evaluator, id, alley.id).await.unwrap().clauses.iter().all(|c| c.answer.is_none()), "{engine}");
        // Another evaluator may not answer it.
        assert!(matches!(app.submit_answers(&other, id, alley.id, vec![answer("1.2.2", Outcome::Pass, None)], now).await, Err(AppError::NotFound(_))));

        // 1.2.1 (1.5 points, 1.5 per finding) fails once → 0; 1.2.2 (1 point) passes; 1.2.8 does not apply.
        let answers = vec![answer("1.2.1", Outcome::Fail, Some(1)), answer("1.2.2", Outcome::Pass, None), answer("1.2.8", Outcome::NotApplicable, None)];
        let result = app.submit_answers(&evaluator, id, alley.id, answers.clone(), now).await.unwrap();
        assert_eq!((result.earned, result.possible), (1.0, 2.5), "{engine}");
        assert!((result.score.unwrap() - 40.0).abs() < 1e-9, "{engine}");
        assert_eq!(result.open_rectifications, 1, "{engine}");
        let failed = result.clauses.iter().find(|c| c.code == "1.2.1").unwrap();
        assert_eq!(failed.rectification, Some(Rectification::Open), "{engine}");
        let case_id = failed.answer.as_ref().unwrap().case_id.expect("a case for the failure");
        let case = store.cases().get(case_id).await.unwrap().unwrap();
        assert_eq!(case.intake.channel, Channel::Inspection, "{engine}");
        assert_eq!(case.intake.category.as_deref(), Some("W0501"), "{engine}: the clause's crosswalk");
        assert_eq!(case.intake.region.as_deref(), Some(WANGJING), "{engine}");
        assert!(case.intake.location.is_some(), "{engine}");

        // The same submission again is idempotent; a different answer is a conflict.
        let again = app.submit_answers(&evaluator, id, alley.id, answers, now).await.unwrap();
        assert_eq!(again.clauses.iter().find(|c| c.code == "1.2.1").unwrap().answer.as_ref().unwrap().case_id, Some(case_id), "{engine}");
        assert!(matches!(app.submit_answers(&evaluator, id, alley.id, vec![answer("1.2.2", Outcome::Fail, None)], now).await, Err(AppError::Conflict(_))));

        // Scores: 望京 40 on field checks, ranked first among streets; 朝阳 among districts.
        let period = Period::month(Month::of(now));
        let streets = app.evaluation_scores(period, ScoreLevel::Street).await.unwrap();
        assert_eq!(streets.items[0].code, WANGJING, "{engine}");
        assert_eq!(streets.items[0].rank, Some(1), "{engine}");
        assert!((streets.items[0].field_check.unwrap() - 40.0).abs() < 1e-9, "{engine}");
        let districts = app.evaluation_scores(period, ScoreLevel::District).await.unwrap();
        assert_eq!(districts.items.len(), 16, "{engine}");
        assert_eq!(districts.items[0].code, "110105000000", "{engine}");

        // The health report names the clause that lost most and the open rectification.
        let report = app.health_report("110105000000", period).await.unwrap();
        assert_eq!(report.lost_most[0].code, "1.2.1", "{engine}");
        assert_eq!(report.open_rectifications.len(), 1, "{engine}");
        assert_eq!(report.trend.len(), 6, "{engine}");
        assert!(app.health_report(WANGJING, period).await.is_err(), "{engine}: a street has no health report");

        // The case is registered, dispatched, handled and verified: the rectification clears.
        let mut case = app.act(case_id, &office, &Command::Register { category: None, region: None, note: None }).await.unwrap();
        if case.status == CaseStatus::Registered {
            case = app.act(case_id, &office, &Command::Dispatch { unit: cy_wj(), note: None, rule: None }).await.unwrap();
        }
        assert_eq!(case.unit.as_deref(), Some("CY-WJ"), "{engine}");
        app.act(case_id, &staff, &Command::Accept { note: None }).await.unwrap();
        app.act(case_id, &staff, &Command::Handle { feedback: "已拆除".into(), photos: vec![] }).await.unwrap();
        let fixed = app.point_result(&evaluator, id, alley.id).await.unwrap();
        assert_eq!(fixed.clauses.iter().find(|c| c.code == "1.2.1").unwrap().rectification, Some(Rectification::Fixed), "{engine}");
        assert_eq!(fixed.open_rectifications, 1, "{engine}: fixed is not yet verified");
        app.act(case_id, &evaluator, &Command::Verify { passed: true, note: Some("复查已整改".into()) }).await.unwrap();
        let cleared = app.point_result(&evaluator, id, alley.id).await.unwrap();
        assert_eq!(cleared.clauses.iter().find(|c| c.code == "1.2.1").unwrap().rectification, Some(Rectification::Verified), "{engine}");
        assert_eq!(cleared.open_rectifications, 0, "{engine}");
        assert!(app.health_report("110105000000", period).await.unwrap().open_rectifications.is_empty(), "{engine}");
        let progress = &app.rounds(&office, 10).await.unwrap()[0];
        assert_eq!((progress.points_answered, progress.failures, progress.failures_cleared), (1, 1, 1), "{engine}");
        store.close().await;
    }
}

/// The office's spreadsheet of points: registered all at once, each placed in its street; a
/// file with bad rows is refused with every problem and its row, and nothing of it is written.
#[tokio::test]
async fn a_points_spreadsheet_is_registered_whole_or_refused_row_by_row() {
    use gridline_app::table::{TableFormat, read_table};
    use gridline_core::{DomainError, FileProblem};
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let (store, regions, app, now) = city(&url).await;
        let office = user(&store, "office", Role::Dispatcher, None).await;
        let evaluator = user(&store, "evaluator", Role::Inspector, None).await;
        let (lat, lon) = regions.get(WANGJING).unwrap().label_point.unwrap();
        let table = |csv: &str| read_table("点位.csv", csv.as_bytes(), TableFormat::Csv, None).unwrap();
        let refused = |result: Result<Vec<_>, AppError>| match result {
            Err(AppError::Domain(DomainError::InvalidFiles(problems))) => problems.iter().map(FileProblem::to_string).collect::<Vec<_>>(),
            other => panic!("{engine}: expected a refused file, got {other:?}"),
        };

        let bad = format!(
            "编码,名称,类型,纬度,经度,线路,责任单位,地址\n\
             WJ-M1,望京农贸市场,农贸市场,{lat},{lon},,望京街道办事处,望京西路\n\
             WJ-M1,重复编码,农贸市场,{lat},{lon},,,\n\
             WJ-X1,未知类型,菜园子,{lat},{lon},,,\n\
             WJ-S1,上海的站台,公交站台,31.2,121.5,,,\n\
             WJ-U1,未知单位,公交站台,{lat},{lon},,火星街道,\n\
             WJ-N1,,公交站台,{lat},{lon},,,\n\
             WJ-L1,两种位置,背街小巷,{lat},{lon},\"{lat},{lon};{lat},{lon}\",,\n\
             WJ-Z1,没有位置,公交站台,,,,,\n\
             WJ-B1,坏的纬度,公交站台,北纬40,{lon},,,\n"
        );
        let problems = refused(app.import_points(&office, "点位.csv", &table(&bad), now).await);
        let expect = [
            ("line 3", "used twice"),
            ("line 4", "类型"),
            ("line 5", "纬度/经度/线路"),
            ("line 6", "责任单位"),
            ("line 7", "名称"),
            ("line 8", "not both"),
            ("line 9", "no location"),
            ("line 10", "not a number"),
        ];
        assert_eq!(problems.len(), expect.len(), "{engine}: {problems:#?}");
        for ((row, what), problem) in expect.iter().zip(&problems) {
            assert!(problem.contains(row) && problem.contains(what), "{engine}: {problem:?} should name {row} and {what}");
        }
        assert!(app.points(None, None, 100).await.unwrap().is_empty(), "{engine}: nothing of a refused file is written");
        let problems = refused(app.import_points(&office, "点位.csv", &table("编码,名称\nWJ-1,某处\n"), now).await);
        assert!(problems[0].contains("no column 类型"), "{engine}: {problems:?}");
        let problems = refused(app.import_points(&office, "点位.csv", &table("编码,名称,类型\n"), now).await);
        assert!(problems[0].contains("no rows below the headers"), "{engine}: {problems:?}");
        assert!(matches!(app.import_points(&office, "点位.csv", &[], now).await, Err(AppError::Domain(DomainError::InvalidFiles(_)))), "{engine}: empty");

        let good = format!(
            "编码,名称,类型,纬度,经度,线路,责任单位,地址\n\
             WJ-M1,望京农贸市场,农贸市场,{lat},{lon},,望京街道办事处,望京西路\n\
             \n\
             WJ-A9,望京小巷,back_alley,,,\"{lat},{lon}; {},{lon}\",CY-WJ,\n",
            lat + 0.001
        );
        assert!(matches!(app.import_points(&evaluator, "点位.csv", &table(&good), now).await, Err(AppError::Domain(DomainError::Forbidden { .. }))), "{engine}");
        let created = app.import_points(&office, "点位.csv", &table(&good), now).await.unwrap();
        assert_eq!(created.len(), 2, "{engine}");
        assert!(created.iter().all(|p| p.region == WANGJING && p.unit == Some(cy_wj())), "{engine}: {created:?}");
        assert_eq!(created[1].point_type, PointType::BackAlley);
        assert!(matches!(created[1].location, Location::Line { ref points } if points.len() == 2), "{engine}");
        assert_eq!(created[0].address.as_deref(), Some("望京西路"));
        let again = refused(app.import_points(&office, "点位.csv", &table(&good), now).await);
        assert!(again.iter().all(|p| p.contains("registered already")) && again.len() == 2, "{engine}: {again:?}");
        assert_eq!(app.points(None, None, 100).await.unwrap().len(), 2, "{engine}");
        store.close().await;
    }
}
