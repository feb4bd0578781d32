//! The store suite: every test runs on SQLite and, when configured, on PostgreSQL.

use gridline_core::actor::{Actor, Role};
use gridline_core::attachment::{MediaType, Stage};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{Case, CaseEvent, CaseId, CaseStatus, Change, Channel, Intake};
use gridline_core::catalogue::Catalogue;
use gridline_core::region::RegionTree;
use gridline_core::unit::{Unit, UnitKind};
use gridline_core::workflow::{Command, Context, decide};
use gridline_store::testing::fresh_databases;
use gridline_store::{CaseFilter, NewAttachment, NewAuditEntry, NewUser, OrderScope, SignInSubject, Store, StoreError, Visibility};
use jiff::Timestamp;

fn now() -> Timestamp {
    "2024-11-04T02:00:00Z".parse().unwrap()
}

fn operator() -> Actor {
    Actor { user_id: 1, username: "op".into(), role: Role::HotlineOperator, unit: None }
}

fn dispatcher() -> Actor {
    Actor { user_id: 2, username: "disp".into(), role: Role::Dispatcher, unit: None }
}

fn intake(external_id: Option<&str>, region: &str, text: &str) -> CaseEvent {
    CaseEvent {
        seq: 1,
        at: now(),
        actor: operator(),
        change: Change::Receive(Intake {
            channel: Channel::Hotline,
            external_id: external_id.map(Into::into),
            category: Some("S0102".parse().unwrap()),
            category_version: Some(1),
            source: None,
            emergency: false,
            region: Some(region.parse().unwrap()),
            title: text.chars().take(10).collect(),
            description: text.into(),
            address: None,
            location: None,
            reporter: Some(gridline_core::case::Reporter { name: None, phone: Some("13800001111".into()) }),
            photos: vec![],
            suggestion: None,
        }),
    }
}

struct World {
    regions: RegionTree,
    catalogue: Catalogue,
    unit: Unit,
}

impl World {
    fn new() -> Self {
        World {
            regions: gridline_geo::beijing(),
            catalogue: Catalogue::builtin(),
            unit: Unit {
                code: "CY-WJ".parse().unwrap(),
                name: "望京街道办事处".into(),
                kind: UnitKind::StreetOffice,
                regions: vec!["110105026000".into()],
                types: vec!["street_office".into()],
            },
        }
    }

    /// Decides a command and appends its event, as the server does.
    async fn act(&self, store: &Store, case: &Case, by: &Actor, command: Command) -> Result<Case, StoreError> {
        let unit = self.unit.clone();
        let units = move |code: &str| (unit.code == code).then(|| unit.clone());
        let ctx = Context { calendar: WorkCalendar::china(), catalogue: &self.catalogue, regions: &self.regions, units: &units, now: now() };
        let change = decide(case, &command, by, &ctx, None).expect("allowed");
        let event = CaseEvent { seq: case.version + 1, at: now(), actor: by.clone(), change };
        let mut after = case.clone();
        after.apply(&event);
        store.cases().append(after, event).await
    }
}

async fn each_store(test: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap_or_else(|e| panic!("{engine}: {e}"));
        test(engine, store).await;
    }
}

const WANGJING: &str = "110105026000";
const DONGHUAMEN: &str = "110101001000";

#[tokio::test]
async fn a_new_case_gets_an_id_and_its_intake_event() {
    each_store(async |engine, store| {
        let created = store.cases().create(intake(Some("HL-1"), WANGJING, "望京街道阜通东大街垃圾堆积")).await.unwrap();
        assert!(created.created, "{engine}");
        let case = store.cases().get(created.case.id).await.unwrap().expect("stored");
        assert_eq!(case.status, CaseStatus::Received);
        assert_eq!(case.id, created.case.id);
        let events = store.cases().events(case.id).await.unwrap();
        assert_eq!(events.len(), 1, "{engine}");
        assert_eq!(events[0].change.action(), "receive");
    })
    .await;
}

/// An upload's rows and their links to the case are one transaction: what it answers is what is
/// stored, and when a link cannot be made (no such case) no row stays behind it.
#[tokio::test]
async fn attachments_and_their_links_to_a_case_are_written_together_or_not_at_all() {
    each_store(async |engine, store| {
        let case = store.cases().create(intake(Some("HL-PHOTO"), WANGJING, "望京街道路灯不亮")).await.unwrap().case.id;
        let photo = |n: u32| NewAttachment {
            sha256: format!("{n:064x}"),
            media: MediaType::Jpeg,
            size: 3_600_000,
            width: Some(1760),
            height: Some(1320),
            name: format!("IMG_{n}.jpg"),
            uploaded_by: 1,
            uploaded_at: now(),
        };
        let added = store.attachments().insert_on_case(case, vec![photo(1), photo(2)], Stage::Intake, 1, now()).await.unwrap();
        assert_eq!(added.iter().map(|a| a.attachment.name.as_str()).collect::<Vec<_>>(), ["IMG_1.jpg", "IMG_2.jpg"], "{engine}");
        assert_eq!(store.attachments().of_case(case).await.unwrap(), added, "{engine}: the answer is what was stored");
        let last = added[1].attachment.id;
        let missing = CaseId::new(999_999).unwrap();
        assert!(store.attachments().insert_on_case(missing, vec![photo(3)], Stage::Intake, 1, now()).await.is_err(), "{engine}");
        assert_eq!(store.attachments().get(last + 1).await.unwrap(), None, "{engine}: no row without its link");
        assert_eq!(store.attachments().of_case(case).await.unwrap().len(), 2, "{engine}");
    })
    .await;
}

#[tokio::test]
async fn the_same_channel_and_external_id_return_the_existing_case_and_create_nothing() {
    each_store(async |engine, store| {
        let first = store.cases().create(intake(Some("HL-7"), WANGJING, "噪声扰民")).await.unwrap();
        let again = store.cases().create(intake(Some("HL-7"), WANGJING, "噪声扰民 (重复)")).await.unwrap();
        assert!(!again.created, "{engine}");
        assert_eq!(again.case.id, first.case.id);
        assert_eq!(again.case.intake.description, "噪声扰民");
        // Cases without an external id never collide.
        let a = store.cases().create(intake(None, WANGJING, "a")).await.unwrap();
        let b = store.cases().create(intake(None, WANGJING, "b")).await.unwrap();
        assert!(a.created && b.created && a.case.id != b.case.id);
        assert_eq!(store.cases().count().await.unwrap(), 3, "{engine}");
        assert_eq!(store.cases().events(first.case.id).await.unwrap().len(), 1);
    })
    .await;
}

#[tokio::test]
async fn concurrent_intake_of_many_cases_loses_none_and_duplicates_none() {
    each_store(async |engine, store| {
        let mut tasks = tokio::task::JoinSet::new();
        for i in 0..300 {
            let store = store.clone();
            // Every third submission repeats an external id.
            let external = format!("HL-{}", i - i % 3);
            tasks.spawn(async move { store.cases().create(intake(Some(&external), WANGJING, "并发受理")).await.unwrap() });
        }
        let mut ids = std::collections::BTreeSet::new();
        let mut created = 0;
        while let Some(result) = tasks.join_next().await {
            let result = result.unwrap();
            created += usize::from(result.created);
            ids.insert(result.case.id);
        }
        assert_eq!((created, ids.len()), (100, 100), "{engine}");
        assert_eq!(store.cases().count().await.unwrap(), 100);
    })
    .await;
}

#[tokio::test]
async fn an_append_on_a_stale_version_is_refused_and_writes_nothing() {
    each_store(async |engine, store| {
        let world = World::new();
        let case = store.cases().create(intake(None, WANGJING, "井盖缺失")).await.unwrap().case;
        let register = Command::Register { category: None, region: None, note: None };
        let registered = world.act(&store, &case, &dispatcher(), register.clone()).await.unwrap();
        assert_eq!(registered.version, 2);
        // The same decision from the stale copy conflicts.
        let err = world.act(&store, &case, &dispatcher(), register).await.unwrap_err();
        assert!(matches!(err, StoreError::VersionConflict { expected: 1, .. }), "{engine}: {err}");
        assert_eq!(store.cases().events(case.id).await.unwrap().len(), 2);
        assert_eq!(store.cases().get(case.id).await.unwrap().unwrap().status, CaseStatus::Registered);
    })
    .await;
}

#[tokio::test]
async fn the_stored_projection_equals_the_replay_of_the_stored_events() {
    each_store(async |engine, store| {
        let world = World::new();
        let case = store.cases().create(intake(None, WANGJING, "堆物堆料")).await.unwrap().case;
        let case = world.act(&store, &case, &dispatcher(), Command::Register { category: None, region: None, note: None }).await.unwrap();
        let case = world.act(&store, &case, &dispatcher(), Command::Dispatch { unit: "CY-WJ".parse().unwrap(), note: None, rule: None }).await.unwrap();
        let handler = Actor { user_id: 3, username: "wj".into(), role: Role::HandlingUnit, unit: Some("CY-WJ".parse().unwrap()) };
        let case = world.act(&store, &case, &handler, Command::Accept { note: Some("收到".into()) }).await.unwrap();
        let stored = store.cases().get(case.id).await.unwrap().unwrap();
        let replayed = Case::replay(case.id, &store.cases().events(case.id).await.unwrap()).unwrap();
        assert_eq!(stored, replayed, "{engine}");
        assert_eq!(stored.status, CaseStatus::Accepted);
    })
    .await;
}

#[tokio::test]
async fn the_case_list_filters_by_region_subtree_visibility_overdue_text_and_pages() {
    each_store(async |engine, store| {
        let world = World::new();
        for i in 0..5 {
            store.cases().create(intake(None, WANGJING, &format!("望京 {i} 100%纯垃圾"))).await.unwrap();
        }
        let dhm = store.cases().create(intake(None, DONGHUAMEN, "东华门 小广告")).await.unwrap().case;
        let all = |f: &mut CaseFilter| f.clone();
        let mut filter = CaseFilter::new(Visibility::All, now());
        assert_eq!(store.cases().list(&all(&mut filter)).await.unwrap().total, 6, "{engine}");
        filter.region_prefix = Some("110105".into()); // 朝阳区
        assert_eq!(store.cases().list(&filter).await.unwrap().total, 5);
        filter.region_prefix = Some("110101".into()); // 东城区
        let page = store.cases().list(&filter).await.unwrap();
        assert_eq!((page.total, page.cases[0].id), (1, dhm.id));

        let mut text = CaseFilter::new(Visibility::All, now());
        text.text = Some("100%".into());
        assert_eq!(store.cases().list(&text).await.unwrap().total, 5);
        text.text = Some("%".into());
        assert_eq!(store.cases().list(&text).await.unwrap().total, 5, "a % is literal");

        let mut paged = CaseFilter::new(Visibility::All, now());
        paged.page_size = 4;
        paged.page = 2;
        let page = store.cases().list(&paged).await.unwrap();
        assert_eq!((page.total, page.cases.len()), (6, 2));

        let visible = CaseFilter::new(Visibility::Regions { prefixes: vec!["110101001".into()], reporter: 99 }, now());
        assert_eq!(store.cases().list(&visible).await.unwrap().total, 1);
        let none = CaseFilter::new(Visibility::Unit("CY-WJ".parse().unwrap()), now());
        assert_eq!(store.cases().list(&none).await.unwrap().total, 0);

        // Dispatch one: it is with the unit and, a week later, overdue.
        let case = store.cases().list(&CaseFilter::new(Visibility::All, now())).await.unwrap().cases.pop().unwrap();
        let case = world.act(&store, &case, &dispatcher(), Command::Register { category: None, region: None, note: None }).await.unwrap();
        world.act(&store, &case, &dispatcher(), Command::Dispatch { unit: "CY-WJ".parse().unwrap(), note: None, rule: None }).await.unwrap();
        assert_eq!(store.cases().list(&none).await.unwrap().total, 1);
        let mut overdue = CaseFilter::new(Visibility::All, "2024-11-11T02:00:00Z".parse().unwrap());
        overdue.overdue = Some(true);
        assert_eq!(store.cases().list(&overdue).await.unwrap().total, 1);
        overdue.overdue = Some(false);
        assert_eq!(store.cases().list(&overdue).await.unwrap().total, 5);
        let mut on_time = CaseFilter::new(Visibility::All, now());
        on_time.overdue = Some(true);
        assert_eq!(store.cases().list(&on_time).await.unwrap().total, 0);
    })
    .await;
}

#[tokio::test]
async fn users_units_and_sessions_round_trip_and_duplicates_are_refused() {
    each_store(async |engine, store| {
        let world = World::new();
        store.people().put_unit(&world.unit, now()).await.unwrap();
        store.people().put_unit(&world.unit, now()).await.unwrap(); // an update, not a duplicate
        assert_eq!(store.people().units().await.unwrap(), vec![world.unit.clone()]);
        let user = NewUser {
            username: "wangjing".into(),
            display_name: "望京承办".into(),
            role: Role::HandlingUnit,
            unit: Some("CY-WJ".parse().unwrap()),
            password_hash: "x".into(),
        };
        let created = store.people().create_user(&user, now()).await.unwrap();
        let err = store.people().create_user(&user, now()).await.unwrap_err();
        assert!(matches!(err, StoreError::Duplicate(_)), "{engine}: {err}");
        let bad_unit = NewUser { username: "ghost".into(), unit: Some("NOPE".parse().unwrap()), ..user.clone() };
        assert!(store.people().create_user(&bad_unit, now()).await.is_err(), "{engine}: unknown unit refused");
        store.people().create_session("hash", created.id, now(), "2024-11-05T02:00:00Z".parse().unwrap()).await.unwrap();
        let (found, _) = store.people().session_user("hash", now()).await.unwrap().unwrap();
        assert_eq!(found, created);
        assert!(store.people().session_user("hash", "2024-11-06T00:00:00Z".parse().unwrap()).await.unwrap().is_none());
        store.people().delete_session("hash").await.unwrap();
        assert!(store.people().session_user("hash", now()).await.unwrap().is_none());
    })
    .await;
}

#[tokio::test]
async fn a_reopened_store_keeps_everything() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let id = store.cases().create(intake(Some("HL-R"), WANGJING, "重启")).await.unwrap().case.id;
        store.close().await;
        let store = Store::open(&url).await.unwrap();
        let again = store.cases().create(intake(Some("HL-R"), WANGJING, "重启")).await.unwrap();
        assert_eq!((again.created, again.case.id), (false, id), "{engine}");
        assert_eq!(store.cases().events(id).await.unwrap().len(), 1);
    }
}

#[tokio::test]
async fn unsupported_database_urls_are_named() {
    let err = Store::open("mysql://grid:hunter2@localhost/x").await.err().expect("refused");
    assert!(err.to_string().contains("\"mysql\""), "{err}");
    assert!(!err.to_string().contains("hunter2"), "{err}");
}

#[tokio::test]
async fn an_import_is_all_or_nothing_and_repeats_within_it_are_filed_once() {
    each_store(async |engine, store| {
        let world = World::new();
        // A whole history: received, registered, dispatched.
        let case = store.cases().create(intake(Some("HL-H"), WANGJING, "历史工单")).await.unwrap().case;
        let case = world.act(&store, &case, &dispatcher(), Command::Register { category: None, region: None, note: None }).await.unwrap();
        world.act(&store, &case, &dispatcher(), Command::Dispatch { unit: "CY-WJ".parse().unwrap(), note: None, rule: None }).await.unwrap();
        let mut history = store.cases().events(case.id).await.unwrap();
        for event in &mut history {
            if let Change::Receive(intake) = &mut event.change {
                intake.external_id = Some("IMP-1".into());
            }
        }
        let batch = vec![history.clone(), vec![intake(Some("IMP-2"), WANGJING, "导入")], history.clone()];
        let created = store.cases().import(batch).await.unwrap();
        assert_eq!(created.iter().map(|c| c.created).collect::<Vec<_>>(), vec![true, true, false], "{engine}");
        assert_eq!(created[0].case.id, created[2].case.id);
        assert_eq!(created[0].case.status, CaseStatus::Dispatched);
        let stored = store.cases().get(created[0].case.id).await.unwrap().unwrap();
        assert_eq!(stored, created[0].case, "{engine}");
        assert_eq!(store.cases().events(stored.id).await.unwrap().len(), 3);
        let before = store.cases().count().await.unwrap();
        // A broken history (numbered 1, 3) spoils its whole import, and nothing of it is written.
        let mut broken = history.clone();
        broken.remove(1);
        let err = store.cases().import(vec![vec![intake(Some("IMP-3"), WANGJING, "好的")], broken]).await.unwrap_err();
        assert!(err.to_string().contains("numbered"), "{engine}: {err}");
        assert_eq!(store.cases().count().await.unwrap(), before, "{engine}: nothing of a failed import is kept");
        // New ids keep growing after an import.
        let next = store.cases().create(intake(None, WANGJING, "之后")).await.unwrap();
        assert!(next.case.id > created[1].case.id);
    })
    .await;
}

#[tokio::test]
async fn catalogue_revisions_keep_every_entry_version_and_the_newest_is_in_force() {
    each_store(async |engine, store| {
        assert_eq!(store.reference().current().await.unwrap(), None, "[{engine}]");
        let regions = gridline_geo::beijing();
        let first = gridline_core::reference::Reference::builtin(&regions);
        let files = first.files();
        let id = store
            .reference().save(
                gridline_store::NewReferenceRevision {
                    created_by: "gridline",
                    note: Some("built-in"),
                    files: &files,
                    versions: first.catalogue.versions(),
                    new_entry_versions: first.catalogue.iter().collect(),
                },
                now(),
            )
            .await
            .unwrap();
        // The administrator renames one entry: it alone gets version 2.
        let renamed = files.catalogue.replace("name = \"暴露垃圾\"", "name = \"暴露垃圾（含满溢）\"");
        let edited = gridline_core::reference::ReferenceFiles { catalogue: renamed, ..files.clone() };
        let second = gridline_core::reference::Reference::from_files(&edited, &regions)
            .unwrap()
            .versioned_after(&first, &store.reference().latest_entry_versions().await.unwrap());
        assert_eq!(second.catalogue.get("S0102").unwrap().version, 2, "[{engine}]");
        let changed: Vec<_> = second.catalogue.iter().filter(|e| e.version > 1).collect();
        assert_eq!(changed.len(), 1, "[{engine}]");
        let id2 = store
            .reference().save(
                gridline_store::NewReferenceRevision {
                    created_by: "admin",
                    note: None,
                    files: &second.files(),
                    versions: second.catalogue.versions(),
                    new_entry_versions: changed,
                },
                now(),
            )
            .await
            .unwrap();
        assert!(id2 > id, "[{engine}]");
        let current = store.reference().current().await.unwrap().unwrap();
        assert_eq!((current.id, current.created_by.as_str()), (id2, "admin"), "[{engine}]");
        assert_eq!(current.versions["S0102"], 2, "[{engine}]");
        assert_eq!(current.files.catalogue, second.files().catalogue, "[{engine}]");
        assert_eq!(store.reference().entry_version("S0102", 1).await.unwrap().unwrap().name, "暴露垃圾", "[{engine}]");
        let v2 = store.reference().entry_version("S0102", 2).await.unwrap().unwrap();
        assert_eq!((v2.name.as_str(), v2.version), ("暴露垃圾（含满溢）", 2), "[{engine}]");
        assert_eq!(store.reference().entry_version("S0102", 3).await.unwrap(), None, "[{engine}]");
        assert_eq!(store.reference().latest_entry_versions().await.unwrap()["S0102"], 2, "[{engine}]");
    })
    .await;
}

#[tokio::test]
async fn a_streamed_export_has_every_admitted_case_once_in_id_order_across_pages() {
    each_store(async |engine, store| {
        // 5,000 cases: more than two pages of ids; every third one in 东华门.
        let histories = (0..5_000).map(|n| vec![intake(None, if n % 3 == 0 { DONGHUAMEN } else { WANGJING }, &format!("案件 {n}"))]).collect();
        store.cases().import(histories).await.unwrap();
        let collect = async |filter: &CaseFilter| {
            let mut ids = Vec::new();
            let mut pages = store.cases().stream(filter);
            while let Some(page) = pages.recv().await {
                let page = page.unwrap();
                assert!(!page.is_empty(), "{engine}: no empty page is handed on");
                ids.extend(page.iter().map(|c| c.id.get()));
            }
            ids
        };
        let all = collect(&CaseFilter::new(Visibility::All, now())).await;
        assert_eq!(all, (1..=5_000).collect::<Vec<i64>>(), "{engine}");
        let mut donghuamen = CaseFilter::new(Visibility::All, now());
        donghuamen.region_prefix = Some("110101".into());
        let some = collect(&donghuamen).await;
        assert_eq!(some, (0..5_000).filter(|n| n % 3 == 0).map(|n| n + 1).collect::<Vec<i64>>(), "{engine}");
        let mut nothing = CaseFilter::new(Visibility::All, now());
        nothing.region_prefix = Some("110108".into());
        assert!(collect(&nothing).await.is_empty(), "{engine}");
        // What the reader does with a page runs where it was decoded; its refusal ends the stream.
        let mut sizes = store.cases().stream_pages(&CaseFilter::new(Visibility::All, now()), |cases| {
            if cases.iter().any(|c| c.id.get() > 3_000) { Err(StoreError::Corrupt("stop here".into())) } else { Ok(cases.len()) }
        });
        let mut read = 0;
        let mut ended_by = None;
        while let Some(page) = sizes.recv().await {
            match page {
                Ok(n) => read += n,
                Err(err) => ended_by = Some(err.to_string()),
            }
        }
        assert_eq!(read, 2_048, "{engine}: the first page, ids 1–2,048, and nothing after the refusal");
        assert!(ended_by.is_some_and(|e| e.contains("stop here")), "{engine}");
    })
    .await;
}

fn later(hours: i64) -> Timestamp {
    now() + jiff::SignedDuration::from_hours(hours)
}

#[tokio::test]
async fn an_api_key_reads_back_with_its_system_user_until_revoked() {
    each_store(async |engine, store| {
        let user = NewUser {
            username: "sys-12345".into(),
            display_name: "12345 热线".into(),
            role: Role::HotlineOperator,
            unit: None,
            password_hash: "!".into(),
        };
        let key = store.api_keys().create("12345-hotline", "keyhash", Channel::Hotline, &user, now()).await.unwrap();
        let (found, system) = store.api_keys().by_hash("keyhash").await.unwrap().expect("a live key");
        assert_eq!(found, key, "{engine}");
        assert_eq!((system.id, system.username.as_str(), system.role), (key.user_id, "sys-12345", Role::HotlineOperator));
        assert_eq!(store.people().user_by_name("sys-12345").await.unwrap(), Some(system.clone()));
        assert_eq!(store.people().user(system.id).await.unwrap(), Some(system.clone()));
        let again = store.api_keys().create("other", "otherhash", Channel::Hotline, &user, now()).await.unwrap_err();
        assert!(matches!(again, StoreError::Duplicate(_)), "{engine}: the user is taken: {again}");
        assert_eq!(store.api_keys().list().await.unwrap(), vec![key.clone()], "{engine}: nothing of the refused key stays");
        assert!(store.api_keys().revoke("12345-hotline", later(1)).await.unwrap());
        assert!(!store.api_keys().revoke("12345-hotline", later(2)).await.unwrap());
        assert!(store.api_keys().by_hash("keyhash").await.unwrap().is_none(), "{engine}");
        assert_eq!(store.api_keys().list().await.unwrap()[0].revoked_at, Some(later(1)));
    })
    .await;
}

#[tokio::test]
async fn orders_and_reminders_read_back_as_written() {
    each_store(async |engine, store| {
        use gridline_core::case::SupervisionLevel;
        use gridline_core::supervision::{NewOrder, ReminderKind, TargetKind};
        use gridline_store::Reminder;
        let new = NewOrder { target_kind: TargetKind::Unit, target: "CY-WJ".into(), level: SupervisionLevel::Key, note: "积案".into(), deadline: later(48) };
        let order = store.supervision().create_order(&new, 2, now()).await.unwrap();
        assert_eq!(store.supervision().order(order.id).await.unwrap(), Some(order.clone()), "{engine}");
        assert_eq!(store.supervision().orders_on(TargetKind::Unit, "CY-WJ").await.unwrap(), vec![order.clone()]);
        store.supervision().reply_order(order.id, "已整改", 3, later(1)).await.unwrap();
        let err = store.supervision().reply_order(order.id, "again", 3, later(2)).await.unwrap_err();
        assert!(matches!(err, StoreError::Duplicate(_)), "{engine}: {err}");
        let replied = store.supervision().order(order.id).await.unwrap().unwrap();
        assert_eq!((replied.reply.as_deref(), replied.replied_by, replied.replied_at), (Some("已整改"), Some(3), Some(later(1))));
        let everything = OrderScope { visibility: Visibility::All, unit: None, places: false };
        assert!(store.supervision().orders(true, &everything, 10).await.unwrap().is_empty(), "{engine}: no open order left");

        let case = store.cases().create(intake(None, WANGJING, "催办")).await.unwrap().case;
        let reminder = Reminder { case_id: case.id, kind: ReminderKind::Overdue, deadline: later(-1), unit: Some("CY-WJ".parse().unwrap()), at: now() };
        assert_eq!(store.supervision().record_reminders(&[reminder.clone(), reminder.clone()]).await.unwrap(), 1, "{engine}");
        assert_eq!(store.supervision().reminders(Some("CY-WJ"), 10).await.unwrap(), vec![reminder]);
        assert!(store.supervision().reminders(Some("OTHER"), 10).await.unwrap().is_empty());
    })
    .await;
}

#[tokio::test]
async fn inbox_readings_are_kept_per_user_once_and_old_ones_forgotten_and_events_are_read_by_case_action_and_time() {
    each_store(async |engine, store| {
        let inbox = store.inbox();
        let items = ["order:1".to_owned(), "assigned:2:100".to_owned()];
        assert_eq!(inbox.mark_read(7, &items, later(-100), later(-200)).await.unwrap(), 2, "{engine}");
        assert_eq!(inbox.mark_read(7, &items[..1], now(), later(-200)).await.unwrap(), 0, "{engine}: read once");
        assert_eq!(inbox.read_items(7).await.unwrap(), items.iter().cloned().collect(), "{engine}");
        assert!(inbox.read_items(8).await.unwrap().is_empty(), "{engine}: another user read nothing");
        // A later marking forgets the readings from before `forget_before`.
        inbox.mark_read(7, &["order:3".to_owned()], now(), later(-1)).await.unwrap();
        assert_eq!(inbox.read_items(7).await.unwrap(), ["order:3".to_owned()].into_iter().collect(), "{engine}");

        let case = store.cases().create(intake(None, WANGJING, "待办")).await.unwrap().case;
        let other = store.cases().create(intake(None, WANGJING, "别的")).await.unwrap().case;
        let events = inbox.events_of(&[case.id, other.id], &["receive"], later(-1), 10).await.unwrap();
        assert_eq!(events.iter().map(|e| e.case_id).collect::<Vec<_>>(), vec![other.id, case.id], "{engine}: newest first");
        assert!(inbox.events_of(&[case.id], &["dispatch"], later(-1), 10).await.unwrap().is_empty(), "{engine}: by action");
        assert!(inbox.events_of(&[case.id], &["receive"], later(1), 10).await.unwrap().is_empty(), "{engine}: by time");
        assert!(inbox.events_of(&[], &["receive"], later(-1), 10).await.unwrap().is_empty(), "{engine}: no cases");
    })
    .await;
}

#[tokio::test]
async fn listings_watches_links_and_campaigns_read_back_as_written() {
    each_store(async |engine, store| {
        use gridline_core::period::Period;
        use gridline_core::supervision::{ListingCheck, ListingKind, NewListing, NewWatch};
        let new = NewListing {
            kind: ListingKind::Place,
            target: "阜通东大街".into(),
            name: "阜通东大街".into(),
            region: Some(WANGJING.into()),
            reason: "反复投诉".into(),
            deadline: later(72),
        };
        let listing = store.listings().create(&new, 2, now()).await.unwrap();
        assert!(matches!(store.listings().create(&new, 2, now()).await, Err(StoreError::Duplicate(_))), "{engine}");
        assert_eq!(store.listings().get(listing.id).await.unwrap(), Some(listing.clone()));
        let mut checked = listing.clone();
        checked.checks.push(ListingCheck { passed: true, note: None, by: 2, at: later(80) });
        checked.delisted_at = Some(later(80));
        store.listings().record_check(&listing, &checked).await.unwrap();
        assert!(store.listings().record_check(&listing, &checked).await.is_err(), "{engine}: a stale check is refused");
        assert_eq!(store.listings().list(false, 10).await.unwrap(), vec![checked]);
        assert!(store.listings().open_of(ListingKind::Place, "阜通东大街").await.unwrap().is_none());

        let watch = NewWatch { region: WANGJING.parse().unwrap(), place: "望京SOHO".into(), category: "S0102".parse().unwrap(), every_days: 7, first_due: None };
        let watched = store.watches().create(&watch, now(), 2, now()).await.unwrap();
        assert_eq!(store.watches().get(watched.id).await.unwrap(), Some(watched.clone()), "{engine}");
        assert_eq!(store.watches().due(now(), 10).await.unwrap(), vec![(watched.clone(), 2)]);
        let case = store.cases().create(intake(None, WANGJING, "未诉先办")).await.unwrap().case;
        store.watches().advance(watched.id, now(), later(168), case.id).await.unwrap();
        let advanced = store.watches().get(watched.id).await.unwrap().unwrap();
        assert_eq!((advanced.next_due, advanced.last_case), (later(168), Some(case.id)));
        assert!(store.watches().stop(watched.id).await.unwrap());
        assert!(store.watches().list(true, 10).await.unwrap().is_empty(), "{engine}");

        let finding = store.cases().create(intake(None, WANGJING, "创城发现")).await.unwrap().case;
        let link = store.links().link(finding.id, case.id, 2, now()).await.unwrap();
        assert!(matches!(store.links().link(finding.id, case.id, 2, now()).await, Err(StoreError::Duplicate(_))));
        assert_eq!(store.links().of(case.id).await.unwrap(), vec![link.clone()], "{engine}");
        assert_eq!(store.links().of(finding.id).await.unwrap(), vec![link]);

        let period = Period::parse("2024-11..2024-12").unwrap();
        let entries = vec!["S0102".to_owned()];
        let campaign = store.campaigns().create("垃圾治理", &entries, &[WANGJING.to_owned()], period, 2, now()).await.unwrap();
        assert_eq!(store.campaigns().get(campaign.id).await.unwrap(), Some(campaign.clone()), "{engine}");
        assert_eq!(store.campaigns().list().await.unwrap(), vec![campaign]);
    })
    .await;
}

#[tokio::test]
async fn sign_in_failures_count_in_their_window_lock_until_cleared_and_the_audit_log_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let security = store.security();
        let start = now();
        let at = |minutes: i64| start + jiff::SignedDuration::from_mins(minutes);
        let wj = SignInSubject::Account("wj".into());
        let address = SignInSubject::Address("10.0.0.7".into());
        for (n, minute) in [(1, 0), (2, 1), (3, 2)] {
            assert_eq!(security.count_failures(&[wj.clone()], at(minute), at(minute - 15)).await.unwrap()[0], n, "{engine}");
        }
        // A failure after the window starts a new count.
        // The account and the address counted in one statement, in the order given.
        assert_eq!(security.count_failures(&[address.clone(), wj.clone()], at(20), at(5)).await.unwrap(), [1, 1], "{engine}");
        assert!(security.locked(&[wj.clone(), address.clone()], at(20)).await.unwrap().is_empty(), "{engine}");
        assert!(security.lock(&wj, at(35), at(20)).await.unwrap(), "{engine}");
        assert!(!security.lock(&wj, at(36), at(21)).await.unwrap(), "{engine}: locked already, the first lockout holds");
        // One failure counted before its check and found right is taken back.
        assert_eq!(security.count_failures(&[address.clone()], at(20), at(5)).await.unwrap()[0], 2, "{engine}");
        security.forgive_failures(std::slice::from_ref(&address)).await.unwrap();
        assert_eq!(security.count_failures(&[address.clone()], at(20), at(5)).await.unwrap()[0], 2, "{engine}");
        security.forgive_failures(std::slice::from_ref(&address)).await.unwrap();
        let locked = security.locked(&[wj.clone(), address.clone()], at(21)).await.unwrap();
        assert_eq!(locked.len(), 1, "{engine}");
        assert_eq!((&locked[0].subject, locked[0].failures, locked[0].locked_until), (&wj, 1, Some(at(35))), "{engine}");
        assert_eq!(security.locks(at(21)).await.unwrap(), locked, "{engine}");
        assert!(security.locked(&[wj.clone()], at(36)).await.unwrap().is_empty(), "{engine}: a lockout ends");
        assert!(security.clear(&wj).await.unwrap(), "{engine}");
        assert!(!security.clear(&wj).await.unwrap(), "{engine}: nothing left");
        assert!(security.locks(at(21)).await.unwrap().is_empty(), "{engine}");

        for (kind, minute) in [("sign_in_failed", 0), ("lock_lifted", 1)] {
            let entry = NewAuditEntry { kind, username: Some("wj"), address: Some("10.0.0.7"), detail: format!("{kind} 详情"), ..NewAuditEntry::default() };
            security.audit(&entry, at(minute)).await.unwrap();
        }
        let log = security.audit_log(10).await.unwrap();
        assert_eq!(log.iter().map(|e| e.kind.as_str()).collect::<Vec<_>>(), ["lock_lifted", "sign_in_failed"], "{engine}");
        assert_eq!((log[1].at, log[1].username.as_deref(), log[1].detail.as_str()), (at(0), Some("wj"), "sign_in_failed 详情"), "{engine}");
        assert_eq!(security.audit_log(1).await.unwrap().len(), 1, "{engine}");
        assert_eq!(SignInSubject::parse(&address.key()), Some(address), "{engine}");
        store.close().await;
    }
}

#[tokio::test]
async fn the_sqlite_wal_is_emptied_once_writes_stop() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(dir.path()).await.unwrap();
    let wal = dir.path().join("gridline.db-wal");
    let wal_size = || std::fs::metadata(&wal).map_or(0, |m| m.len());
    let mut largest = 0;
    for n in 0..1500 {
        store.cases().create(intake(Some(&format!("WAL-{n}")), WANGJING, "望京街道阜通东大街6号门口暴露垃圾，长期无人清理")).await.unwrap();
        largest = largest.max(wal_size());
    }
    assert!(largest > 256 * 1024, "the writes went through the WAL ({largest} bytes at most)");
    let idle = std::time::Instant::now();
    while wal_size() > 0 {
        assert!(idle.elapsed() < std::time::Duration::from_secs(10), "the WAL still holds {} bytes 10 s after the last write", wal_size());
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    assert_eq!(store.cases().count().await.unwrap(), 1500, "everything is in the database file");
    store.close().await;
}

#[tokio::test]
async fn a_backup_taken_while_16_clients_write_holds_every_case_acknowledged_before_it_began() {
    let dir = tempfile::tempdir().unwrap();
    let store = Store::open_data_dir(&dir.path().join("live")).await.unwrap();
    let acknowledged = std::sync::Arc::new(std::sync::Mutex::new(Vec::new()));
    let stop = std::sync::Arc::new(std::sync::atomic::AtomicBool::new(false));
    let writers: Vec<_> = (0..16)
        .map(|client| {
            let (store, acknowledged, stop) = (store.clone(), acknowledged.clone(), stop.clone());
            tokio::spawn(async move {
                let mut n = 0;
                while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                    let created = store.cases().create(intake(Some(&format!("BK-{client}-{n}")), WANGJING, "望京街道暴露垃圾")).await.unwrap();
                    acknowledged.lock().unwrap().push(created.case.id);
                    n += 1;
                }
            })
        })
        .collect();
    tokio::time::sleep(std::time::Duration::from_millis(500)).await;
    let before: Vec<CaseId> = acknowledged.lock().unwrap().clone();
    let copy = dir.path().join("copy.db");
    store.backup_to(&copy).await.unwrap();
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    for writer in writers {
        writer.await.unwrap();
    }
    assert!(before.len() > 16, "the clients wrote before the backup ({} cases)", before.len());
    assert_eq!(gridline_store::sqlite_integrity(&copy).await.unwrap(), "ok");
    let restored_dir = dir.path().join("restored");
    std::fs::create_dir_all(&restored_dir).unwrap();
    std::fs::copy(&copy, restored_dir.join("gridline.db")).unwrap();
    let restored = Store::open_data_dir(&restored_dir).await.unwrap();
    for id in &before {
        assert!(restored.cases().get(*id).await.unwrap().is_some(), "case {id}, acknowledged before the backup, is in it");
    }
    let total = restored.cases().count().await.unwrap();
    assert!(total >= before.len() as i64 && total <= store.cases().count().await.unwrap(), "{total} cases in the copy");
    restored.close().await;
    store.close().await;
}

/// A database whose cases were written before their documents were packed (migration 0018): the
/// case document as JSON text with its intake, the events' as JSON text. After the migration
/// they read back as they were, side by side with packed ones, and a case written on is packed.
#[tokio::test]
async fn documents_written_before_they_were_packed_read_back_as_they_were() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        // The schema as it was before 0018: this engine's migrations up to 0017.
        let before = tempfile::tempdir().unwrap();
        let folder = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("migrations").join(engine);
        for file in std::fs::read_dir(&folder).unwrap() {
            let path = file.unwrap().path();
            if path.file_name().unwrap().to_str().unwrap() < "0018" {
                std::fs::copy(&path, before.path().join(path.file_name().unwrap())).unwrap();
            }
        }
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        sqlx::migrate::Migrator::new(before.path()).await.unwrap().run(&pool).await.unwrap();
        let register = Change::Register { category: "S0102".parse().unwrap(), category_version: 1, region: WANGJING.parse().unwrap(), note: Some("登记".into()) };
        let history = vec![intake(Some("HL-OLD"), WANGJING, "望京街道阜通东大街垃圾堆积"), CaseEvent { seq: 2, at: now(), actor: dispatcher(), change: register }];
        let case = Case::replay(CaseId::new(7).unwrap(), &history).unwrap();
        sqlx::query(
            "INSERT INTO cases (id, version, channel, external_id, status, region, suspended, reported_by, received_at, updated_at, search_text, doc) \
             VALUES (7, 2, 'hotline', 'HL-OLD', 'registered', $1, 0, 1, 0, 0, '望京', $2)",
        )
        .bind(WANGJING)
        .bind(document_before_0018(&case))
        .execute(&pool)
        .await
        .unwrap();
        for event in &history {
            sqlx::query("INSERT INTO case_events (case_id, seq, action, actor_id, at, doc) VALUES (7, $1, $2, $3, 0, $4)")
                .bind(i64::from(event.seq))
                .bind(event.change.action())
                .bind(event.actor.user_id)
                .bind(serde_json::to_string(event).unwrap())
                .execute(&pool)
                .await
                .unwrap();
        }
        pool.close().await;

        let store = Store::open(&url).await.unwrap_or_else(|e| panic!("{engine}: {e}"));
        assert_eq!(store.cases().get(case.id).await.unwrap(), Some(case.clone()), "{engine}");
        assert_eq!(store.cases().events(case.id).await.unwrap(), history, "{engine}");
        // A new case beside it, packed, and the old one written on.
        let new = store.cases().create(intake(Some("HL-NEW"), WANGJING, "新的案件")).await.unwrap().case;
        let world = World::new();
        let dispatched = world.act(&store, &case, &dispatcher(), Command::Dispatch { unit: "CY-WJ".parse().unwrap(), note: None, rule: None }).await.unwrap();
        assert_eq!(store.cases().get(case.id).await.unwrap(), Some(dispatched.clone()), "{engine}");
        let replayed = Case::replay(case.id, &store.cases().events(case.id).await.unwrap()).unwrap();
        assert_eq!(replayed, dispatched, "{engine}");
        assert_eq!(store.cases().get(new.id).await.unwrap(), Some(new.clone()), "{engine}");
        let page = store.cases().list(&CaseFilter::new(Visibility::All, now())).await.unwrap();
        // (On PostgreSQL the new case's id comes from the identity sequence, which the old row's
        // explicit id did not move: the order of the two ids differs by engine.)
        let mut listed = page.cases.iter().map(|c| c.id).collect::<Vec<_>>();
        listed.sort();
        let mut expected = vec![new.id, case.id];
        expected.sort();
        assert_eq!(listed, expected, "{engine}");
        store.close().await;
    }
}

/// The alleys' month writes its listings in its own transaction: a listing checked by someone else
/// since it was read refuses the whole month (no score, no standing, no change written); then the
/// month with a fresh check and a listing opened is written at once, each listing's change after
/// the month's others in the alley's history.
#[tokio::test]
async fn an_alley_month_writes_its_listings_with_its_scores_or_nothing() {
    each_store(async |engine, store| {
        use gridline_core::alley::{Change, Grade, MonthScore, NewAlleyRest, Standing};
        use gridline_core::case::GeoPoint;
        use gridline_core::evaluation::{InspectionPoint, Location, PointType};
        use gridline_core::period::Month;
        use gridline_core::supervision::{ListingCheck, ListingKind, NewListing};
        use gridline_store::{ListingStep, MonthOutcome, ScoreRecord};
        let alley = |code: &str, lon: f64| {
            let point = InspectionPoint {
                id: 0,
                code: code.into(),
                name: format!("{code} 胡同"),
                point_type: PointType::BackAlley,
                location: Location::Line { points: vec![GeoPoint { lat: 39.99, lon }, GeoPoint { lat: 39.99, lon: lon + 0.002 }] },
                region: WANGJING.parse().unwrap(),
                unit: None,
                address: None,
            };
            (point, NewAlleyRest { community: None, length_m: 170.0, awarded: Grade::Fine, four: Default::default(), title_named_in: None })
        };
        let created = store.alleys().create_many(vec![alley("WJ-L1", 116.47), alley("WJ-L2", 116.48)], now()).await.unwrap();
        let (a, b) = (created[0].point.id, created[1].point.id);
        let listed = |target: &str| NewListing {
            kind: ListingKind::Alley,
            target: target.into(),
            name: target.into(),
            region: Some(WANGJING.into()),
            reason: "连续两个月低于 90 分".into(),
            deadline: later(24 * 30),
        };
        let open = store.listings().create(&listed("WJ-L1"), 2, now()).await.unwrap();
        let checked = |before: &gridline_core::supervision::Listing, at: Timestamp| {
            let mut after = before.clone();
            after.checks.push(ListingCheck { passed: false, note: Some("仍低于 90 分".into()), by: 2, at });
            after
        };
        // Someone checks the listing by hand after the month read it.
        let by_hand = checked(&open, later(24));
        store.listings().record_check(&open, &by_hand).await.unwrap();
        let month = Month::parse("2024-10").unwrap();
        let outcome = |alley: i64, listing: Option<ListingStep>| MonthOutcome {
            record: ScoreRecord {
                month,
                alley,
                region: WANGJING.into(),
                score: MonthScore { score: 85.0, checks: 1, check_mean: 85.0, hotline_cases: 0, other_cases: 0, deduction: 0.0 },
                grade: Grade::Fine,
            },
            standing: Standing::new(Grade::Fine),
            title: None,
            changes: vec![Change::ListingDue { low_months: 2 }],
            listing,
        };
        let by = |new: NewListing| ListingStep::Open { new, by: 2, at: later(48) };
        let stale = vec![outcome(a, Some(ListingStep::Check { before: open.clone(), after: checked(&open, later(48)) })), outcome(b, Some(by(listed("WJ-L2"))))];
        assert!(matches!(store.alleys().record_month(&stale, now()).await, Err(StoreError::Duplicate(_))), "{engine}");
        assert!(!store.alleys().evaluated(month).await.unwrap(), "{engine}: no score written");
        assert!(store.alleys().history(a).await.unwrap().1.is_empty(), "{engine}: no change written");
        assert!(store.listings().open_of(ListingKind::Alley, "WJ-L2").await.unwrap().is_none(), "{engine}: no listing opened");
        assert_eq!(store.listings().get(open.id).await.unwrap(), Some(by_hand.clone()), "{engine}: the hand's check stands");

        let fresh = vec![outcome(a, Some(ListingStep::Check { before: by_hand.clone(), after: checked(&by_hand, later(48)) })), outcome(b, Some(by(listed("WJ-L2"))))];
        let written = store.alleys().record_month(&fresh, now()).await.unwrap();
        assert_eq!(written.len(), 2, "{engine}");
        assert_eq!(store.listings().get(open.id).await.unwrap().map(|l| l.checks.len()), Some(2), "{engine}");
        let opened = store.listings().open_of(ListingKind::Alley, "WJ-L2").await.unwrap().expect("opened");
        assert_eq!(opened, written[1], "{engine}");
        let history = |changes: Vec<(Month, Change)>| changes.into_iter().map(|(_, c)| c).collect::<Vec<_>>();
        assert_eq!(
            history(store.alleys().history(a).await.unwrap().1),
            vec![Change::ListingDue { low_months: 2 }, Change::ListingChecked { listing: open.id, passed: false, delisted: false }],
            "{engine}"
        );
        assert_eq!(history(store.alleys().history(b).await.unwrap().1), vec![Change::ListingDue { low_months: 2 }, Change::Listed { listing: opened.id }], "{engine}");
        assert!(store.alleys().evaluated(month).await.unwrap(), "{engine}");
    })
    .await;
}

/// The map's places (migration 0024): the intake's place in the row, read under the case list's
/// visibility, region, overdue and open filters; a case without a place counted, not drawn; the
/// places of cases filed before the columns copied in once when the store opens.
#[tokio::test]
async fn the_map_reads_the_places_of_the_cases_a_user_may_see_and_an_upgrade_copies_them_in() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap_or_else(|e| panic!("{engine}: {e}"));
        let placed = |region: &str, lon: f64, lat: f64| {
            let mut event = intake(None, region, "有坐标的案件");
            if let Change::Receive(intake) = &mut event.change {
                intake.location = Some(gridline_core::case::GeoPoint { lat, lon });
            }
            event
        };
        let wj = store.cases().create(placed(WANGJING, 116.4701, 39.9952)).await.unwrap().case;
        store.cases().create(placed(WANGJING, 116.4702, 39.9953)).await.unwrap();
        store.cases().create(placed(DONGHUAMEN, 116.3991, 39.9152)).await.unwrap();
        store.cases().create(intake(None, DONGHUAMEN, "没有坐标")).await.unwrap();
        let places = |visibility: Visibility, region: Option<&str>| {
            let mut filter = CaseFilter::new(visibility, now());
            filter.region_prefix = region.map(Into::into);
            filter
        };
        let all = store.cases().places(&places(Visibility::All, None), true).await.unwrap();
        assert_eq!((all.placed.len(), all.unplaced), (3, 1), "{engine}");
        assert!(all.placed.iter().any(|p| p.lon == 116.4701 && p.lat == 39.9952 && !p.overdue), "{engine}: {all:?}");
        let chaoyang = store.cases().places(&places(Visibility::All, Some("110105")), true).await.unwrap();
        assert_eq!((chaoyang.placed.len(), chaoyang.unplaced), (2, 0), "{engine}");
        // A dispatcher of 东华门 sees its street's cases only; a unit its own (none yet).
        let dhm = store.cases().places(&places(Visibility::Regions { prefixes: vec!["110101001".into()], reporter: 99 }, None), true).await.unwrap();
        assert_eq!((dhm.placed.len(), dhm.unplaced, dhm.placed[0].lon), (1, 1, 116.3991), "{engine}");
        let unit = || places(Visibility::Unit("CY-WJ".parse().unwrap()), None);
        assert_eq!(store.cases().places(&unit(), true).await.unwrap().placed.len(), 0, "{engine}");
        // Dispatched to the unit: its one case, overdue a week later; closed cases are not open.
        let world = World::new();
        let case = world.act(&store, &wj, &dispatcher(), Command::Register { category: None, region: None, note: None }).await.unwrap();
        world.act(&store, &case, &dispatcher(), Command::Dispatch { unit: "CY-WJ".parse().unwrap(), note: None, rule: None }).await.unwrap();
        let mut later = unit();
        later.now = "2024-11-11T02:00:00Z".parse().unwrap();
        let mine = store.cases().places(&later, true).await.unwrap();
        assert_eq!(mine.placed, [gridline_store::PlacedCase { lon: 116.4701, lat: 39.9952, overdue: true }], "{engine}");
        later.overdue = Some(true);
        assert_eq!(store.cases().places(&later, false).await.unwrap().placed.len(), 1, "{engine}");
        store.close().await;

        // As if filed before migration 0024: no places in the rows, the copy pending.
        gridline_store::testing::execute(&url, &["UPDATE cases SET lon = NULL, lat = NULL", "INSERT INTO pending_backfills (name) VALUES ('case_places')"]).await;
        let store = Store::open(&url).await.unwrap();
        let copied = store.cases().places(&places(Visibility::All, None), false).await.unwrap();
        assert_eq!((copied.placed.len(), copied.unplaced), (3, 1), "{engine}");
        store.close().await;
        gridline_store::testing::execute(&url, &["UPDATE cases SET lon = NULL"]).await;
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.cases().places(&places(Visibility::All, None), false).await.unwrap().placed.len(), 0, "{engine}: copied once only");
        store.close().await;
    }
}

/// A case's document as written before migration 0018: the whole projection, its id and intake
/// included (a serialised `Case` leaves both out now).
fn document_before_0018(case: &Case) -> String {
    let mut doc = serde_json::to_value(case).unwrap();
    doc["id"] = case.id.get().into();
    doc["intake"] = serde_json::to_value(&case.intake).unwrap();
    doc.to_string()
}
