//! The project ledger's service on a real store, on every engine: proposals within the limit,
//! what each actor sees, the workflow through to the year's close, the progress board and the
//! year-end report against hand counts, and the import's per-row refusals that write nothing.

use std::sync::Arc;

use gridline_app::App;
use gridline_core::DomainError;
use gridline_core::actor::{Actor, Role};
use gridline_core::ledger::{
    KeyTask, LedgerYear, Light, MemberUnit, Milestone, Outcome, ProjectCommand, ProjectDraft, ProjectStatus, Rating, UnitTier,
};
use gridline_core::unit::{Unit, UnitKind};
use gridline_app::AppError;
use gridline_store::testing::fresh_databases;
use gridline_store::{ProjectFilter, Store};
use jiff::Timestamp;

const UNITS: [(&str, &str); 3] = [("BJ-RD", "北京市人大常委会"), ("BJ-MZJ", "北京市民政局"), ("BJ-WMB", "首都精神文明建设委员会办公室")];

fn office() -> Actor {
    Actor { user_id: 1, username: "supervisor".into(), role: Role::Supervisor, unit: Some("BJ-WMB".parse().unwrap()) }
}

fn member(unit: &str) -> Actor {
    Actor { user_id: 2, username: format!("staff-{unit}"), role: Role::MemberUnit, unit: Some(unit.parse().unwrap()) }
}

fn draft(title: &str, class: &str) -> ProjectDraft {
    ProjectDraft {
        class: class.into(),
        key_task: "T1".into(),
        title: title.into(),
        goals: "目标".into(),
        measures: "措施".into(),
        milestones: vec![
            Milestone { title: "方案".into(), due: "2026-03-31".parse().unwrap(), done_on: None },
            Milestone { title: "总结".into(), due: "2026-11-30".parse().unwrap(), done_on: None },
        ],
        responsible: "赵六".into(),
        evidence: "材料".into(),
    }
}

async fn each_app(test: impl AsyncFn(&'static str, App)) {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        for (code, name) in UNITS {
            let unit = Unit { code: code.parse().unwrap(), name: name.into(), kind: UnitKind::MemberUnit, regions: vec!["110000000000".into()], types: vec![] };
            store.people().put_unit(&unit, Timestamp::now()).await.unwrap();
        }
        let app = App::new(store, Arc::new(gridline_geo::beijing()), &Default::default()).await.unwrap();
        for (code, _) in UNITS {
            let m = MemberUnit { unit: code.parse().unwrap(), tier: UnitTier::Municipal, contact_name: "联络员".into(), contact_phone: "010-5556".into() };
            app.ledger_put_member(&office(), &m).await.unwrap();
        }
        let year = LedgerYear::new(2026, None, None).unwrap();
        app.ledger_open_year(&office(), &year, &[KeyTask { year: 2026, code: "T1".into(), title: "贯彻落实文明行为促进条例".into() }])
            .await
            .unwrap();
        test(engine, app).await;
    }
}

fn status_of(err: &AppError) -> &'static str {
    match err {
        AppError::Domain(DomainError::Forbidden { .. }) => "forbidden",
        AppError::Domain(DomainError::Conflict { .. }) | AppError::Conflict(_) => "conflict",
        AppError::Domain(DomainError::Invalid { .. }) => "invalid",
        AppError::Domain(DomainError::InvalidFiles(_)) => "files",
        AppError::NotFound(_) => "not_found",
        _ => "other",
    }
}

#[tokio::test]
async fn a_year_runs_from_proposals_to_its_close_and_its_report_counts_what_happened() {
    each_app(async |engine, app| {
        let rd = member("BJ-RD");
        let mzj = member("BJ-MZJ");
        let law = app.ledger_propose(&rd, 2026, None, &draft("文明行为促进条例立法", "制度建设")).await.unwrap();
        let visit = app.ledger_propose(&rd, 2026, None, &draft("代表视察文明创建", "文明宣传")).await.unwrap();
        let third = app.ledger_propose(&rd, 2026, None, &draft("第三个项目", "文明宣传")).await.unwrap_err();
        assert_eq!(status_of(&third), "conflict", "{engine}: two a unit");
        let fest = app.ledger_propose(&mzj, 2026, None, &draft("社区邻里节", "文明宣传")).await.unwrap();
        let wrong = app.ledger_propose(&mzj, 2026, Some("BJ-RD"), &draft("冒名", "文明宣传")).await.unwrap_err();
        assert_eq!(status_of(&wrong), "forbidden", "{engine}: not for another unit");

        // What each sees.
        let titles = |ps: Vec<gridline_core::ledger::Project>| ps.into_iter().map(|p| p.draft.title).collect::<Vec<_>>();
        assert_eq!(titles(app.ledger_projects(&mzj, 2026, ProjectFilter::default()).await.unwrap()), ["社区邻里节"], "{engine}");
        assert_eq!(app.ledger_projects(&office(), 2026, ProjectFilter::default()).await.unwrap().len(), 3);
        assert_eq!(status_of(&app.ledger_project(&mzj, law.id).await.unwrap_err()), "not_found", "{engine}: another unit's project");
        let handler = Actor { role: Role::HandlingUnit, ..member("BJ-MZJ") };
        assert_eq!(status_of(&app.ledger_projects(&handler, 2026, ProjectFilter::default()).await.unwrap_err()), "forbidden");
        assert_eq!(status_of(&app.ledger_summary(&mzj, 2026, "2026-07-01".parse().unwrap()).await.unwrap_err()), "forbidden");

        // The workflow.
        let act = async |who: &Actor, id: i64, command: ProjectCommand| app.ledger_act(who, id, &command).await;
        act(&office(), visit.id, ProjectCommand::Return { guidance: "请聚焦重点任务".into() }).await.unwrap();
        for id in [law.id, fest.id] {
            act(&office(), id, ProjectCommand::Accept { note: None }).await.unwrap();
        }
        assert_eq!(status_of(&act(&rd, law.id, ProjectCommand::Accept { note: None }).await.unwrap_err()), "forbidden");
        act(&rd, law.id, ProjectCommand::Report { text: "条例草案已提请审议".into(), figures: vec![], files: vec![], milestones_done: vec![0] })
            .await
            .unwrap();
        let july = "2026-07-01".parse().unwrap();
        let board = app.ledger_summary(&office(), 2026, july).await.unwrap();
        assert_eq!((board.units, board.projects), (2, 2), "{engine}: the returned proposal is not counted");
        let by_class = board.by_class.iter().map(|c| (c.class.as_str(), c.projects, c.units)).collect::<Vec<_>>();
        assert_eq!(by_class, [("制度建设", 1, 1), ("文明宣传", 1, 1), ("文明治理", 0, 0), ("机关建设", 0, 0)], "{engine}");
        assert_eq!(board.overdue.iter().map(|o| (o.project_id, o.milestone.as_str(), o.days_late)).collect::<Vec<_>>(), [(fest.id, "方案", 92)]);
        assert_eq!(board.not_reported.iter().map(|u| u.unit.as_str()).collect::<Vec<_>>(), ["BJ-MZJ"]);
        assert_eq!(board.not_proposed.iter().map(|u| u.unit.as_str()).collect::<Vec<_>>(), ["BJ-WMB"]);
        assert_eq!((board.lights.unchecked, board.lights.green), (2, 0));

        act(&office(), law.id, ProjectCommand::Check { assessment: "按期推进".into(), comment: "好".into(), light: Light::Green }).await.unwrap();
        act(&office(), fest.id, ProjectCommand::Check { assessment: "滞后".into(), comment: "抓紧".into(), light: Light::Red }).await.unwrap();
        let summary = "完成《北京市文明行为促进条例》的制定修订。";
        act(&rd, law.id, ProjectCommand::SubmitClosure { outcome: Outcome::Completed, summary: summary.into(), evidence: "条例文本".into() })
            .await
            .unwrap();
        assert_eq!(
            status_of(&act(&rd, law.id, ProjectCommand::Close { outcome: Outcome::Completed, rating: Rating::Excellent, comment: "好".into() }).await.unwrap_err()),
            "forbidden",
            "{engine}: a unit cannot rate its own project"
        );
        act(&office(), law.id, ProjectCommand::Close { outcome: Outcome::Completed, rating: Rating::Excellent, comment: "成效显著".into() })
            .await
            .unwrap();
        act(&office(), law.id, ProjectCommand::PickExample { excerpt: summary.into() }).await.unwrap();
        act(&office(), fest.id, ProjectCommand::Close { outcome: Outcome::Partly, rating: Rating::Fair, comment: "部分完成".into() })
            .await
            .unwrap();
        let closing = app.ledger_close_year(&office(), 2026).await.unwrap_err();
        assert_eq!(status_of(&closing), "conflict", "{engine}: not archived yet");
        for id in [law.id, fest.id] {
            act(&office(), id, ProjectCommand::Archive).await.unwrap();
        }

        let report = app.ledger_report(&office(), 2026).await.unwrap();
        assert_eq!((report.units, report.projects), (2, 2), "{engine}");
        assert_eq!(report.headline, "2026 年台账共有 2 个成员单位报送 2 个工作项目,分为制度建设、文明宣传、文明治理、机关建设四大类。");
        assert_eq!((report.outcomes.completed, report.outcomes.partly, report.outcomes.completion_rate), (1, 1, 0.5));
        let institutions = &report.classes[0];
        assert_eq!((institutions.first_unit.as_deref(), institutions.examples.len()), (Some("北京市人大常委会"), 1));
        assert_eq!(institutions.examples[0].excerpt, summary);
        assert_eq!(report.commended.iter().map(|c| c.unit.as_str()).collect::<Vec<_>>(), ["BJ-RD"], "{engine}: all completed, one excellent");

        let closed = app.ledger_close_year(&office(), 2026).await.unwrap();
        assert!(closed.is_closed());
        let after = act(&office(), law.id, ProjectCommand::PickExample { excerpt: "完成".into() }).await.unwrap_err();
        assert_eq!(status_of(&after), "conflict", "{engine}: a closed year cannot change");
        assert_eq!(status_of(&app.ledger_propose(&mzj, 2026, None, &draft("迟到", "文明宣传")).await.unwrap_err()), "conflict");
        let history = app.ledger_project(&office(), law.id).await.unwrap().1;
        assert_eq!(history.len(), 8, "{engine}: every step an event");
        assert_eq!(app.ledger_project(&office(), law.id).await.unwrap().0.status, ProjectStatus::Archived);
    })
    .await;
}

fn table(rows: &[[&str; 10]]) -> Vec<Vec<String>> {
    let header = ["序号", "单位", "类别", "重点任务", "项目名称", "工作目标", "主要措施", "节点安排", "责任人", "佐证材料"];
    std::iter::once(&header).chain(rows).map(|r| r.iter().map(|c| (*c).to_owned()).collect()).collect()
}

#[tokio::test]
async fn an_import_names_every_bad_row_and_writes_nothing_of_a_bad_file() {
    each_app(async |engine, app| {
        let good = ["1", "北京市人大常委会", "制度建设", "T1", "条例立法", "目标", "措施", "2026-03-31 方案\n2026-11-30 总结", "张三", "文本"];
        let bad = table(&[
            good,
            ["2", "北京市不存在局", "制度建设", "T1", "甲", "目标", "措施", "2026-03-31 方案", "张三", "文本"],
            ["3", "北京市民政局", "文明出行", "T1", "乙", "目标", "措施", "2026-03-31 方案", "张三", "文本"],
            ["4", "BJ-MZJ", "文明宣传", "T1", "丙", "目标", "措施", "2027-01-15 方案", "张三", "文本"],
            ["5", "北京市人大常委会", "制度建设", "贯彻落实文明行为促进条例", "条例立法", "目标", "措施", "2026-03-31 方案", "张三", "文本"],
            ["6", "北京市民政局", "文明宣传", "T1", "丁", "目标", "措施", "三月底 方案", "张三", "文本"],
        ]);
        let err = app.ledger_import(&office(), 2026, "台账.xlsx", &bad, false).await.unwrap_err();
        let AppError::Domain(DomainError::InvalidFiles(found)) = err else { panic!("{engine}: {err}") };
        let lines = found.iter().map(|p| (p.line, p.message.split(':').next().unwrap_or_default().to_owned())).collect::<Vec<_>>();
        assert_eq!(
            lines,
            [
                (Some(3), "单位".to_owned()),
                (Some(4), "类别".to_owned()),
                (Some(5), "节点安排".to_owned()),
                (Some(6), "项目名称".to_owned()),
                (Some(7), "节点安排".to_owned())
            ],
            "{engine}: {found:?}"
        );
        assert!(found[3].message.contains("条例立法"), "the duplicate is named");
        assert!(app.ledger_projects(&office(), 2026, ProjectFilter::default()).await.unwrap().is_empty(), "{engine}: nothing written");

        let missing = vec![vec!["单位".to_owned(), "项目名称".to_owned()]];
        let err = app.ledger_import(&office(), 2026, "台账.xlsx", &missing, false).await.unwrap_err();
        assert!(err.to_string().contains("类别"), "{engine}: {err}");

        let report = app.ledger_import(&office(), 2026, "台账.xlsx", &table(&[good]), true).await.unwrap();
        assert_eq!((report.projects, report.units), (1, 1));
        let imported = app.ledger_projects(&office(), 2026, ProjectFilter::default()).await.unwrap();
        assert_eq!((imported[0].status, imported[0].draft.milestones.len()), (ProjectStatus::Accepted, 2), "{engine}");
        let again = app.ledger_import(&office(), 2026, "台账.xlsx", &table(&[good]), true).await.unwrap_err();
        assert!(again.to_string().contains("条例立法"), "{engine}: a project already in the ledger: {again}");
        assert_eq!(status_of(&app.ledger_import(&member("BJ-RD"), 2026, "x", &table(&[good]), false).await.unwrap_err()), "forbidden");

        let xlsx = app.ledger_export_xlsx(&office(), 2026).await.unwrap();
        assert_eq!(&xlsx[..2], b"PK", "{engine}: a zip container");
    })
    .await;
}
