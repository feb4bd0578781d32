//! The application layer on a real store, on every engine of `fresh_databases`.

use std::sync::Arc;

use gridline_app::App;
use gridline_app::intake::NewCase;
use gridline_core::actor::{Actor, Role};
use gridline_store::Store;
use gridline_store::testing::fresh_databases;
use jiff::Timestamp;

fn operator() -> Actor {
    Actor { user_id: 1, username: "operator".into(), role: Role::HotlineOperator, unit: None }
}

fn submission(external_id: &str) -> NewCase {
    NewCase {
        channel: "hotline".into(),
        external_id: Some(external_id.into()),
        category: None,
        source: None,
        emergency: false,
        region: None,
        title: None,
        description: "小区门口暴露垃圾好几天没人清运，散发异味".into(),
        address: Some("北京市朝阳区望京街道阜通东大街6号".into()),
        location: None,
        reporter: None,
        photos: Vec::new(),
    }
}

/// Two servers on one database: a case filed through one is among the other's duplicate
/// candidates once the other refreshes, a second refresh adds nothing, and the filing process's
/// own refresh reads none of its cases again.
#[tokio::test]
async fn a_refresh_takes_up_the_open_cases_other_processes_filed() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let regions = Arc::new(gridline_geo::beijing());
        let one = App::new(store.clone(), regions.clone(), &Default::default()).await.unwrap();
        let other = App::new(store.clone(), regions, &Default::default()).await.unwrap();
        assert_eq!(other.load_open_cases().await.unwrap(), 0, "{engine}");
        let actor = operator();
        let intake = submission("A-1").validate(&actor, &one.reference(), &one.regions).unwrap();
        let first = one.file_case(intake, &actor, Timestamp::now()).await.unwrap();
        assert!(first.created, "{engine}");
        assert_eq!(first.case.intake.region.as_deref(), Some("110105026000"), "{engine}: placed by its address");
        assert!(first.case.intake.suggestion.is_some(), "{engine}: a case without a category gets a suggestion");
        let intake = submission("A-2").validate(&actor, &one.reference(), &one.regions).unwrap();
        let second = one.file_case(intake, &actor, Timestamp::now()).await.unwrap();
        let found = |app: &App| app.text.duplicate_candidates(&second.case, &app.regions).iter().map(|c| c.case).collect::<Vec<_>>();
        assert_eq!(found(&one), [first.case.id.get()], "{engine}: the filing process knows at once");
        assert!(found(&other).is_empty(), "{engine}: the other has not refreshed yet");
        assert_eq!(one.load_open_cases().await.unwrap(), 0, "{engine}: the filing process does not read its own cases again");
        other.refresh().await.unwrap();
        assert_eq!(found(&other), [first.case.id.get()], "{engine}: after a refresh");
        assert_eq!(other.load_open_cases().await.unwrap(), 0, "{engine}: nothing new the second time");
        store.close().await;
    }
}
