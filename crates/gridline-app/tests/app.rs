//! The application layer on a real store, on every engine of `fresh_databases`.

use std::io::Cursor;
use std::sync::Arc;
use std::time::{Duration, Instant};

use gridline_app::App;
use gridline_app::attachments::Upload;
use gridline_app::intake::NewCase;
use gridline_core::actor::{Actor, Role};
use gridline_core::attachment::{Expect, Stage};
use gridline_store::{Store, Variant};
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

/// A JPEG of one colour.
fn photo(shade: u8) -> Vec<u8> {
    let mut out = Cursor::new(Vec::new());
    image::RgbImage::from_pixel(640, 480, image::Rgb([shade, 90, 120])).write_to(&mut out, image::ImageFormat::Jpeg).unwrap();
    out.into_inner()
}

/// A case's photos: each kept under its hash, their rows and links answered as stored, and their
/// renderings made afterwards on the background thread, without anyone asking for them.
#[tokio::test]
async fn a_case_s_photos_are_kept_and_rendered_in_the_background() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let files = tempfile::tempdir().unwrap();
        let store = Store::open(&url).await.unwrap().with_files_dir(files.path());
        let app = App::new(store.clone(), Arc::new(gridline_geo::beijing()), &Default::default()).await.unwrap();
        let actor = operator();
        let intake = submission("P-1").validate(&actor, &app.reference(), &app.regions).unwrap();
        let case = app.file_case(intake, &actor, Timestamp::now()).await.unwrap().case.id;
        let uploads = [(10, "IMG_1.jpg"), (200, "IMG_2.jpg")].map(|(shade, name)| Upload { bytes: photo(shade), name: name.into(), expect: Expect::Photo });
        let added = app.attach_to_case(case, Stage::Intake, uploads.into(), &actor, Timestamp::now()).await.unwrap();
        assert_eq!(added.iter().map(|a| a.attachment.name.as_str()).collect::<Vec<_>>(), ["IMG_1.jpg", "IMG_2.jpg"], "{engine}");
        assert_eq!(app.case_attachments(case, &actor).await.unwrap(), added, "{engine}");
        let kept = store.attachments().files_dir().unwrap();
        for attachment in &added {
            let sha256 = &attachment.attachment.sha256;
            assert_eq!(kept.original(sha256).unwrap(), photo(if attachment.attachment.name == "IMG_1.jpg" { 10 } else { 200 }), "{engine}");
            let deadline = Instant::now() + Duration::from_secs(60);
            while !(kept.has_derived(sha256, Variant::Display) && kept.has_derived(sha256, Variant::Thumbnail)) {
                assert!(Instant::now() < deadline, "{engine}: {sha256} not rendered in the background within a minute");
                tokio::time::sleep(Duration::from_millis(50)).await;
            }
        }
        store.close().await;
    }
}
