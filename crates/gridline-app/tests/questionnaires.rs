//! Questionnaires on a real store, on every engine of `fresh_databases`: a form from XLSForm, a
//! public link per district, responses through it (idempotent, one per respondent, refused once
//! closed), the satisfaction index and its margin of error by hand, the questionnaire method in
//! the composite, and the month's notice with its 点评 and interview list.

use std::collections::BTreeMap;
use std::sync::Arc;

use gridline_app::evaluation::ScoreLevel;
use gridline_app::questionnaires::ResponseBody;
use gridline_app::{App, AppError};
use gridline_core::actor::{Actor, Role};
use gridline_core::DomainError;
use gridline_core::evaluation::{AnswerValue, Form};
use gridline_core::message::Lang;
use gridline_core::period::{Month, Period};
use gridline_store::testing::fresh_databases;
use gridline_store::{NewUser, Store};
use jiff::Timestamp;

const WANGJING: &str = "110105026000";
const CHAOYANG: &str = "110105000000";
/// A street of 东城 (110101).
const DONGHUAMEN: &str = "110101001000";

async fn user(store: &Store, name: &str, role: Role) -> Actor {
    let new = NewUser { username: name.into(), display_name: name.into(), role, unit: None, password_hash: "!".into() };
    store.people().create_user(&new, Timestamp::now()).await.unwrap().actor()
}

fn sheet(rows: &[&[&str]]) -> Vec<Vec<String>> {
    rows.iter().map(|r| r.iter().map(|c| (*c).to_owned()).collect()).collect()
}

fn form() -> Form {
    let survey = sheet(&[
        &["type", "name", "label", "required", "relevant", "weight", "clause"],
        &["select_one satisfaction", "clean", "环境卫生满意吗？", "yes", "", "", "5.1.1"],
        &["select_one yn", "know", "知道核心价值观吗？", "no", "", "", "5.1.2"],
        &["text", "why", "为什么不满意？", "no", "${clean} = '1'", "", ""],
    ]);
    let choices = sheet(&[&["list_name", "name", "label", "score"], &["yn", "yes", "知道", "100"], &["yn", "no", "不知道", "0"]]);
    Form::from_xlsform(&survey, &choices, &[]).unwrap()
}

fn body(respondent: &str, street: &str, clean: &str) -> ResponseBody {
    let answers: BTreeMap<String, AnswerValue> = [("clean".to_owned(), AnswerValue::Text(clean.into()))].into();
    ResponseBody { respondent: respondent.into(), street: street.into(), answers }
}

#[tokio::test]
async fn public_answers_are_idempotent_counted_once_and_refused_once_closed() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let app = App::new(store.clone(), Arc::new(gridline_geo::beijing()), &Default::default()).await.unwrap();
        let office = user(&store, "office", Role::Supervisor).await;
        let unit = user(&store, "unit", Role::HandlingUnit).await;
        let now = Timestamp::now();

        assert!(matches!(app.create_questionnaire(&unit, "sat", form(), now).await, Err(AppError::Domain(_))), "{engine}: the office only");
        let q = app.create_questionnaire(&office, "sat", form(), now).await.unwrap();
        assert!(matches!(app.create_questionnaire(&office, "sat", form(), now).await, Err(AppError::Conflict(_))), "{engine}: a taken code");
        let mut bad = form();
        bad.sections[0].questions[0].clause = Some("1.1.1".into());
        assert!(app.create_questionnaire(&office, "bad", bad, now).await.unwrap_err().to_string().contains("not a questionnaire clause"), "{engine}");

        // A draft takes no answers and has no links; once open, one link per district.
        assert!(app.questionnaire_links(&office, q.id).await.unwrap().is_empty(), "{engine}");
        let enumerator = user(&store, "enum", Role::Inspector).await;
        assert!(matches!(app.submit_enumerated(&enumerator, q.id, body("respondent-1", WANGJING, "5"), now).await, Err(AppError::Conflict(_))), "{engine}");
        app.open_questionnaire(&office, q.id, None, now).await.unwrap();
        assert!(matches!(app.replace_questionnaire_form(&office, q.id, form()).await, Err(AppError::Conflict(_))), "{engine}: an open form is fixed");
        let links = app.questionnaire_links(&office, q.id).await.unwrap();
        assert_eq!(links.len(), 16, "{engine}");
        let chaoyang = links.iter().find(|l| l.district == CHAOYANG).unwrap().token.clone();
        let public = app.public_form(&chaoyang, now).await.unwrap();
        assert!(public.open && public.streets.iter().any(|s| s.code == WANGJING), "{engine}");
        assert!(matches!(app.public_form("nope", now).await, Err(AppError::NotFound(_))), "{engine}");

        // 望京: 满意 (100), 比较满意 (75), 比较满意 (75), 一般 (50).
        for (i, level) in ["5", "4", "4", "3"].iter().enumerate() {
            let receipt = app.submit_public(&chaoyang, body(&format!("device-wj-{i}"), WANGJING, level), now).await.unwrap();
            assert!(receipt.created, "{engine}");
        }
        // The same answer again: acknowledged, not counted twice. A different one: refused.
        let again = app.submit_public(&chaoyang, body("device-wj-0", WANGJING, "5"), now).await.unwrap();
        assert!(!again.created, "{engine}");
        assert!(matches!(app.submit_public(&chaoyang, body("device-wj-0", WANGJING, "1"), now).await, Err(AppError::Conflict(_))), "{engine}");
        // A street of another district through 朝阳's link, a bad answer, a hidden question: refused.
        assert!(app.submit_public(&chaoyang, body("device-dc-0", DONGHUAMEN, "5"), now).await.unwrap_err().to_string().contains("not in the link's district"));
        assert!(app.submit_public(&chaoyang, body("device-x-00", WANGJING, "7"), now).await.unwrap_err().to_string().contains("not a choice"));
        let mut hidden = body("device-x-01", WANGJING, "5");
        hidden.answers.insert("why".into(), AnswerValue::Text("脏".into()));
        assert!(app.submit_public(&chaoyang, hidden, now).await.unwrap_err().to_string().contains("not asked"), "{engine}");
        assert!(app.submit_public(&chaoyang, body("short", WANGJING, "5"), now).await.is_err(), "{engine}: a respondent key too short");
        assert_eq!(store.questionnaires().count(Some(q.id)).await.unwrap(), 4, "{engine}: nothing refused was written");

        // By hand: n 4, mean 75, s = √(1250/3) = 20.412, margin 1.96 · s / 2 = 20.004.
        let period = Period::month(Month::of(now));
        let index = app.satisfaction_index(Some(q.id), period, ScoreLevel::Street).await.unwrap();
        let wj = index.items.iter().find(|r| r.code == WANGJING).unwrap();
        assert_eq!((wj.estimate.n, wj.estimate.mean), (4, Some(75.0)), "{engine}");
        assert!((wj.estimate.margin.unwrap() - 1.96 * (1250.0f64 / 3.0).sqrt() / 2.0).abs() < 1e-9, "{engine}");
        assert!((wj.clauses["5.1.1"].mean.unwrap() - 75.0).abs() < 1e-9, "{engine}");
        assert_eq!(index.city.n, 4, "{engine}");

        // An enumerator adds 东城's respondent (不满意 0, knows the values 100): the district index.
        let mut dc = body("interview-0001", DONGHUAMEN, "1");
        dc.answers.insert("know".into(), AnswerValue::Text("yes".into()));
        assert!(app.submit_enumerated(&enumerator, q.id, dc, now).await.unwrap().created, "{engine}");
        let districts = app.satisfaction_index(None, period, ScoreLevel::District).await.unwrap();
        assert_eq!(districts.items.iter().find(|r| r.code == "110101000000").unwrap().estimate.mean, Some(0.0), "{engine}");
        assert_eq!(districts.city.n, 5, "{engine}");
        assert_eq!(districts.city.mean, Some(60.0), "{engine}: (300 + 0) / 5");

        // The questionnaire method's sub-score: 朝阳 5.1.1 at 75 → 3 of 4 points = 75 %; 东城
        // 5.1.1 at 0 and 5.1.2 at 100 → (0 + 2) of 6 = 33.3 %. No field checks: 样本不足.
        let scores = app.evaluation_scores(period, ScoreLevel::District).await.unwrap();
        let cy = scores.items.iter().find(|r| r.code == CHAOYANG).unwrap();
        assert!((cy.questionnaire.unwrap() - 75.0).abs() < 1e-9, "{engine}: {cy:?}");
        assert!(cy.insufficient_sample && cy.rank.is_none(), "{engine}");
        let dc = scores.items.iter().find(|r| r.code == "110101000000").unwrap();
        assert!((dc.questionnaire.unwrap() - 100.0 / 3.0).abs() < 1e-9, "{engine}: {dc:?}");
        // Without a minimum sample both are ranked, 朝阳 first; the interview list is 东城.
        let notice = app.evaluation_notice(Month::of(now), ScoreLevel::District, 1, 0).await.unwrap();
        assert_eq!(notice.scores.items[0].code, CHAOYANG, "{engine}");
        assert_eq!(notice.interview.iter().map(|r| r.code.as_str()).collect::<Vec<_>>(), vec!["110101000000"], "{engine}");
        // With the default minimum nobody is ranked, so nobody is summoned.
        assert!(app.evaluation_notice(Month::of(now), ScoreLevel::District, 3, 1).await.unwrap().interview.is_empty(), "{engine}");
        app.put_evaluation_comment(&office, Month::of(now), None, "总体平稳", now).await.unwrap();
        app.put_evaluation_comment(&office, Month::of(now), None, "总体平稳，末位约谈", now).await.unwrap();
        let comments = app.evaluation_notice(Month::of(now), ScoreLevel::District, 1, 0).await.unwrap().comments;
        assert_eq!(comments.iter().map(|c| c.text.as_str()).collect::<Vec<_>>(), vec!["总体平稳，末位约谈"], "{engine}");

        // Closed: the public link answers that it is closed and refuses answers.
        app.close_questionnaire(&office, q.id, now).await.unwrap();
        assert!(!app.public_form(&chaoyang, now).await.unwrap().open, "{engine}");
        assert!(matches!(app.submit_public(&chaoyang, body("device-late-1", WANGJING, "5"), now).await, Err(AppError::Conflict(_))), "{engine}");
        assert_eq!(store.questionnaires().count(Some(q.id)).await.unwrap(), 5, "{engine}");
        store.close().await;
    }
}

#[tokio::test]
async fn an_import_is_checked_whole_and_resubmitted_rows_count_once() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let app = App::new(store.clone(), Arc::new(gridline_geo::beijing()), &Default::default()).await.unwrap();
        let office = user(&store, "office", Role::Dispatcher).await;
        let now = Timestamp::now();
        let q = app.create_questionnaire(&office, "sat", form(), now).await.unwrap();
        app.open_questionnaire(&office, q.id, None, now).await.unwrap();
        let good = sheet(&[
            &["respondent", "street", "submitted_at", "clean", "know"],
            &["paper-00001", "望京街道", "2026-10-15", "满意", "知道"],
            &["paper-00002", WANGJING, "", "4", ""],
        ]);
        let mut bad = good.clone();
        bad.push(sheet(&[&["paper-00003", WANGJING, "", "极好", ""]]).remove(0));
        let err = app.import_responses(&office, q.id, &bad, now).await.unwrap_err().to_string();
        assert!(err.contains("responses line 4") && err.contains("\"极好\" is not a choice"), "{engine}: {err}");
        assert_eq!(store.questionnaires().count(Some(q.id)).await.unwrap(), 0, "{engine}: nothing written");
        // Each problem of a file by its stable code, told in Chinese.
        for (what, rows, code, zh) in [
            ("no street column", sheet(&[&["respondent", "clean"], &["paper-00001", "满意"]]), "missing_column", "表头没有“street”一栏；应有的栏目：respondent、street、submitted_at"),
            ("a column that is no question", sheet(&[&["respondent", "street", "mood"], &["paper-00001", WANGJING, "好"]]), "column_not_question", "“mood”一栏不是本问卷的问题"),
            ("a date that is none", sheet(&[&["respondent", "street", "submitted_at", "clean"], &["paper-00001", WANGJING, "昨天", "满意"]]), "not_a_date", "“submitted_at”一栏的“昨天”应为日期（如 2024-10-08）或时间"),
            ("a respondent too short", sheet(&[&["respondent", "street", "clean"], &["p1", WANGJING, "满意"]]), "bad_cell", "“respondent”一栏填写有误"),
        ] {
            let err = app.import_responses(&office, q.id, &rows, now).await.unwrap_err();
            let AppError::Domain(DomainError::InvalidFiles(problems)) = &err else { panic!("{engine}: {what}: {err}") };
            assert_eq!((problems[0].reason.code(), problems[0].render(Lang::Zh).as_str()), (code, zh), "{engine}: {what}");
        }
        let done = app.import_responses(&office, q.id, &good, now).await.unwrap();
        assert_eq!((done.imported, done.unchanged), (2, 0), "{engine}");
        let again = app.import_responses(&office, q.id, &good, now).await.unwrap();
        assert_eq!((again.imported, again.unchanged), (0, 2), "{engine}");
        // The October answer counts in October.
        let october = app.satisfaction_index(Some(q.id), Period::parse("2026-10").unwrap(), ScoreLevel::Street).await.unwrap();
        assert_eq!(october.city.n, 1, "{engine}");
        assert_eq!(october.city.mean, Some(100.0), "{engine}");
        store.close().await;
    }
}
