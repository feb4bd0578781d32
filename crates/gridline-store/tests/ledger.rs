//! The project ledger's repository on both engines: members, years and key tasks round-trip, a
//! project's events and projection are written together, a stale version and a duplicated title
//! are refused and write nothing, and a closed year stays closed.

use gridline_core::actor::{Actor, Role};
use gridline_core::ledger::{
    KeyTask, LedgerContext, LedgerYear, MemberUnit, Milestone, Project, ProjectCommand, ProjectDraft, ProjectEvent, ProjectStatus,
    UnitTier, decide, decide_proposal,
};
use gridline_core::unit::{Unit, UnitKind};
use gridline_store::testing::fresh_databases;
use gridline_store::{ProjectFilter, Store, StoreError};
use jiff::Timestamp;

async fn each_store(test: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap_or_else(|e| panic!("{engine}: {e}"));
        test(engine, store).await;
    }
}

fn now() -> Timestamp {
    "2026-02-01T02:00:00Z".parse().unwrap()
}

fn member(unit: &str) -> Actor {
    Actor { user_id: 5, username: format!("staff-{unit}"), role: Role::MemberUnit, unit: Some(unit.parse().unwrap()) }
}

fn office() -> Actor {
    Actor { user_id: 1, username: "supervisor".into(), role: Role::Supervisor, unit: None }
}

fn draft(title: &str, class: &str) -> ProjectDraft {
    ProjectDraft {
        class: class.into(),
        key_task: "T1".into(),
        title: title.into(),
        goals: "目标".into(),
        measures: "措施".into(),
        milestones: vec![Milestone { title: "方案".into(), due: "2026-03-31".parse().unwrap(), done_on: None }],
        responsible: "李四".into(),
        evidence: "材料".into(),
    }
}

/// Opens 2026 with one key task and the two member units.
async fn set_up(store: &Store) -> (LedgerYear, Vec<KeyTask>) {
    for code in ["BJ-MZJ", "BJ-SWJ"] {
        let unit = Unit { code: code.parse().unwrap(), name: code.into(), kind: UnitKind::MemberUnit, regions: vec!["110000000000".into()], types: vec![] };
        store.people().put_unit(&unit, now()).await.unwrap();
        store
            .ledger()
            .put_member(&MemberUnit { unit: code.parse().unwrap(), tier: UnitTier::Municipal, contact_name: "王五".into(), contact_phone: "010-1".into() })
            .await
            .unwrap();
    }
    let year = LedgerYear::new(2026, None, None).unwrap();
    store.ledger().put_year(&year).await.unwrap();
    let task = KeyTask { year: 2026, code: "T1".into(), title: "文明行为促进".into() };
    store.ledger().put_key_task(&task).await.unwrap();
    (year, vec![task])
}

/// A proposal as the application layer makes it.
fn proposal(unit: &str, d: ProjectDraft, year: &LedgerYear, tasks: &[KeyTask]) -> (Project, Vec<ProjectEvent>) {
    let ctx = LedgerContext { year, key_tasks: tasks, unit_projects: 0 };
    let code = unit.parse().unwrap();
    let change = decide_proposal(&code, &d, &member(unit), &ctx).unwrap();
    let event = ProjectEvent { seq: 1, at: now(), actor: member(unit), change };
    let mut project = Project::proposed(0, year.year, &code, d);
    project.apply(&event);
    (project, vec![event])
}

#[tokio::test]
async fn members_years_and_key_tasks_round_trip() {
    each_store(async |engine, store| {
        let (year, tasks) = set_up(&store).await;
        let members = store.ledger().members().await.unwrap();
        assert_eq!(members.len(), 2, "{engine}");
        assert_eq!(members[0].tier, UnitTier::Municipal);
        assert_eq!(store.ledger().year(2026).await.unwrap(), Some(year.clone()), "{engine}");
        assert_eq!(store.ledger().key_tasks(2026).await.unwrap(), tasks);
        assert_eq!(store.ledger().year(2025).await.unwrap(), None);
        assert!(store.ledger().close_year(2026, now()).await.unwrap());
        assert!(!store.ledger().close_year(2026, now()).await.unwrap(), "{engine}: closed once");
        assert!(store.ledger().year(2026).await.unwrap().unwrap().is_closed());
        let reopened = LedgerYear::new(2026, None, Some(3)).unwrap();
        assert!(matches!(store.ledger().put_year(&reopened).await, Err(StoreError::Duplicate(_))), "{engine}: a closed year keeps its settings");
        assert_eq!(store.ledger().year(2026).await.unwrap().unwrap().per_unit_limit, 2);
    })
    .await;
}

#[tokio::test]
async fn a_project_and_its_events_are_stored_together_and_a_stale_append_writes_nothing() {
    each_store(async |engine, store| {
        let (year, tasks) = set_up(&store).await;
        let ids = store.ledger().create(&[proposal("BJ-MZJ", draft("社区邻里节", "文明宣传"), &year, &tasks)]).await.unwrap();
        let project = store.ledger().get(ids[0]).await.unwrap().expect("stored");
        assert_eq!((project.id, project.version, project.status), (ids[0], 1, ProjectStatus::Proposed), "{engine}");
        let ctx = LedgerContext { year: &year, key_tasks: &tasks, unit_projects: 0 };
        let change = decide(&project, &ProjectCommand::Accept { note: None }, &office(), &ctx).unwrap();
        let event = ProjectEvent { seq: 2, at: now(), actor: office(), change };
        let mut after = project.clone();
        after.apply(&event);
        store.ledger().append(&after, &event).await.unwrap();
        assert!(
            matches!(store.ledger().append(&after, &event).await, Err(StoreError::ProjectChanged { .. })),
            "{engine}: the same version twice"
        );
        let stored = store.ledger().get(ids[0]).await.unwrap().unwrap();
        assert_eq!(stored, after, "{engine}");
        let events = store.ledger().events(ids[0]).await.unwrap();
        assert_eq!(events.iter().map(|e| e.change.action()).collect::<Vec<_>>(), ["propose", "accept"], "{engine}");
        let mut replayed = Project::proposed(ids[0], 2026, &"BJ-MZJ".parse().unwrap(), draft("x", "文明宣传"));
        for e in &events {
            replayed.apply(e);
        }
        assert_eq!(replayed, stored, "{engine}: the projection is the replay of the events");
    })
    .await;
}

#[tokio::test]
async fn a_batch_with_a_duplicated_project_writes_none_of_it() {
    each_store(async |engine, store| {
        let (year, tasks) = set_up(&store).await;
        let batch = [
            proposal("BJ-MZJ", draft("社区邻里节", "文明宣传"), &year, &tasks),
            proposal("BJ-SWJ", draft("诚信商圈", "文明治理"), &year, &tasks),
            proposal("BJ-MZJ", draft("社区邻里节", "文明宣传"), &year, &tasks),
        ];
        let err = store.ledger().create(&batch).await.unwrap_err();
        assert!(matches!(&err, StoreError::Duplicate(m) if m.contains("社区邻里节")), "{engine}: {err}");
        assert!(store.ledger().projects(2026, &ProjectFilter::default()).await.unwrap().is_empty(), "{engine}: nothing written");
        store.ledger().create(&batch[..2]).await.unwrap();
        assert_eq!(store.ledger().count_of_unit(2026, "BJ-MZJ").await.unwrap(), 1);
    })
    .await;
}

#[tokio::test]
async fn projects_filter_by_class_unit_and_status() {
    each_store(async |engine, store| {
        let (year, tasks) = set_up(&store).await;
        store
            .ledger()
            .create(&[
                proposal("BJ-MZJ", draft("社区邻里节", "文明宣传"), &year, &tasks),
                proposal("BJ-MZJ", draft("养老服务", "文明治理"), &year, &tasks),
                proposal("BJ-SWJ", draft("诚信商圈", "文明治理"), &year, &tasks),
            ])
            .await
            .unwrap();
        let titles = async |filter: ProjectFilter| {
            store.ledger().projects(2026, &filter).await.unwrap().into_iter().map(|p| p.draft.title).collect::<Vec<_>>()
        };
        assert_eq!(titles(ProjectFilter::default()).await.len(), 3, "{engine}");
        assert_eq!(titles(ProjectFilter { class: Some("文明治理".into()), ..Default::default() }).await, ["养老服务", "诚信商圈"]);
        assert_eq!(
            titles(ProjectFilter { class: Some("文明治理".into()), unit: Some("BJ-SWJ".into()), status: Some(ProjectStatus::Proposed) }).await,
            ["诚信商圈"]
        );
        assert!(titles(ProjectFilter { status: Some(ProjectStatus::Closed), ..Default::default() }).await.is_empty());
        assert!(store.ledger().projects(2025, &ProjectFilter::default()).await.unwrap().is_empty());
    })
    .await;
}
