//! Rollups kept on write agree with a fold of the event log, on both engines, and answer the
//! rate, ranking and volume queries with hand-computed figures.

use gridline_core::actor::{Actor, Role};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{Case, CaseEvent, Change, Channel, Intake};
use gridline_core::catalogue::Catalogue;
use gridline_core::period::{Month, Period};
use gridline_core::region::RegionTree;
use gridline_core::rollup::RateCounts;
use gridline_core::unit::{Unit, UnitKind};
use gridline_core::workflow::{Command, Context, decide};
use gridline_store::testing::fresh_databases;
use gridline_store::{RateLevel, Store, VolumeGrain};
use jiff::Timestamp;
use serde_json::json;

const WANGJING: &str = "110105026000";
const DONGHUAMEN: &str = "110101001000";

/// A Beijing local time.
fn bj(text: &str) -> Timestamp {
    let civil: jiff::civil::DateTime = text.parse().unwrap();
    civil.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).unwrap().timestamp()
}

fn actor(id: i64, role: Role, unit: Option<&str>) -> Actor {
    Actor { user_id: id, username: format!("u{id}"), role, unit: unit.map(|c| c.parse().unwrap()) }
}

struct World {
    regions: RegionTree,
    catalogue: Catalogue,
    units: Vec<Unit>,
    admin: Actor,
}

impl World {
    fn new() -> World {
        let unit = |code: &str, region: &str| Unit {
            code: code.parse().unwrap(),
            name: format!("{code} office"),
            kind: UnitKind::StreetOffice,
            regions: vec![region.into()],
            types: vec![],
        };
        World {
            regions: gridline_geo::beijing(),
            catalogue: Catalogue::builtin(),
            units: vec![unit("WJ", WANGJING), unit("WJ2", WANGJING), unit("DHM", DONGHUAMEN)],
            admin: actor(1, Role::Admin, None),
        }
    }

    fn staff(&self, unit: &str) -> Actor {
        actor(10, Role::HandlingUnit, Some(unit))
    }

    async fn file(&self, store: &Store, channel: Channel, region: &str, at: &str) -> Case {
        let intake = Intake {
            channel,
            external_id: None,
            category: Some("S0102".parse().unwrap()),
            category_version: Some(1),
            source: None,
            emergency: false,
            suggestion: None,
            region: Some(region.parse().unwrap()),
            title: "垃圾".into(),
            description: "路边暴露垃圾".into(),
            address: None,
            location: None,
            reporter: None,
            photos: vec![],
        };
        let event = CaseEvent { seq: 1, at: bj(at), actor: self.admin.clone(), change: Change::Receive(intake) };
        store.cases().create(event).await.unwrap().case
    }

    /// Decides `command` (JSON, as the API takes it) at `at` and appends it, as the server does.
    async fn act(&self, store: &Store, case: Case, by: &Actor, at: &str, command: serde_json::Value) -> Case {
        let command: Command = serde_json::from_value(command).unwrap();
        let units = self.units.clone();
        let lookup = move |code: &str| units.iter().find(|u| u.code == code).cloned();
        let ctx = Context { calendar: WorkCalendar::china(), catalogue: &self.catalogue, regions: &self.regions, units: &lookup, now: bj(at) };
        let merge_target = match &command {
            Command::Merge { into, .. } => store.cases().get(*into).await.unwrap(),
            _ => None,
        };
        let change = decide(&case, &command, by, &ctx, merge_target.as_ref()).unwrap_or_else(|e| panic!("{command:?}: {e}"));
        let event = CaseEvent { seq: case.version + 1, at: bj(at), actor: by.clone(), change };
        let mut after = case;
        after.apply(&event);
        store.cases().append(after, event).await.unwrap()
    }

    /// Register, dispatch to `unit` and accept after `accept` (HH:MM the same day).
    async fn dispatched(&self, store: &Store, region: &str, unit: &str, day: &str, accept: &str) -> Case {
        let case = self.file(store, Channel::Hotline, region, &format!("{day} 08:00")).await;
        let case = self.act(store, case, &self.admin, &format!("{day} 08:10"), json!({"action": "register"})).await;
        let case = self.act(store, case, &self.admin, &format!("{day} 08:20"), json!({"action": "dispatch", "unit": unit})).await;
        self.act(store, case, &self.staff(unit), &format!("{day} {accept}"), json!({"action": "accept"})).await
    }

    async fn close_and_call_back(&self, store: &Store, case: Case, day: &str, resolved: bool, satisfaction: &str) -> Case {
        let unit = case.unit.clone().unwrap();
        let case = self.act(store, case, &self.staff(&unit), &format!("{day} 10:00"), json!({"action": "handle", "feedback": "已清理"})).await;
        let case = self.act(store, case, &self.admin, &format!("{day} 11:00"), json!({"action": "verify", "passed": true})).await;
        self.act(store, case, &self.admin, &format!("{day} 12:00"), json!({"action": "callback", "resolved": resolved, "satisfaction": satisfaction}))
            .await
    }
}

async fn each_store(test: impl AsyncFn(&'static str, Store)) {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap_or_else(|e| panic!("{engine}: {e}"));
        test(engine, store).await;
    }
}

fn month(text: &str) -> Period {
    Period::month(Month::parse(text).unwrap())
}

#[tokio::test]
async fn live_rollups_equal_a_rebuild_and_give_the_hand_computed_rates() {
    each_store(async |engine, store| {
        let w = World::new();
        // 1. 望京 / WJ, March: accepted in 40 min, closed, called back satisfied and solved.
        let a = w.dispatched(&store, WANGJING, "WJ", "2026-03-02", "09:00").await;
        w.close_and_call_back(&store, a.clone(), "2026-03-02", true, "satisfied").await;
        // 2. WJ, March: accepted 24 h 40 min after dispatch (no response), already late (one
        //    working day from Wednesday 08:20 ends Wednesday 17:00) when suspended, reworked
        //    once, basically satisfied but not solved.
        let b = w.file(&store, Channel::Hotline, WANGJING, "2026-03-04 08:00").await;
        let b = w.act(&store, b, &w.admin, "2026-03-04 08:10", json!({"action": "register"})).await;
        let b = w.act(&store, b, &w.admin, "2026-03-04 08:20", json!({"action": "dispatch", "unit": "WJ"})).await;
        let b = w.act(&store, b, &w.staff("WJ"), "2026-03-05 09:00", json!({"action": "accept"})).await;
        let b = w.act(&store, b, &w.admin, "2026-03-05 09:30", json!({"action": "suspend", "reason": "等待配合"})).await;
        let b = w.act(&store, b, &w.admin, "2026-03-06 09:30", json!({"action": "resume"})).await;
        let b = w.act(&store, b, &w.staff("WJ"), "2026-03-06 10:00", json!({"action": "handle", "feedback": "已处理"})).await;
        let b = w.act(&store, b, &w.admin, "2026-03-06 11:00", json!({"action": "verify", "passed": false, "note": "仍有垃圾"})).await;
        w.close_and_call_back(&store, b, "2026-03-09", false, "basically_satisfied").await;
        // 3. WJ2 gets a wrong dispatch and returns it; WJ takes it (deadline Wednesday 09:30),
        //    is granted two working days (Friday 09:30) and handles it on Wednesday 10:00.
        let c = w.file(&store, Channel::Hotline, WANGJING, "2026-03-10 08:00").await;
        let c = w.act(&store, c, &w.admin, "2026-03-10 08:10", json!({"action": "register"})).await;
        let c = w.act(&store, c, &w.admin, "2026-03-10 08:20", json!({"action": "dispatch", "unit": "WJ2"})).await;
        let c = w.act(&store, c, &w.staff("WJ2"), "2026-03-10 09:00", json!({"action": "return", "reason": "不属本单位"})).await;
        let c = w.act(&store, c, &w.admin, "2026-03-10 09:30", json!({"action": "dispatch", "unit": "WJ"})).await;
        let c = w.act(&store, c, &w.staff("WJ"), "2026-03-10 10:00", json!({"action": "accept"})).await;
        let c = w
            .act(&store, c, &w.staff("WJ"), "2026-03-10 11:00", json!({"action": "request_extension", "amount": 2, "unit": "working_days", "reason": "需协调"}))
            .await;
        let c = w.act(&store, c, &w.admin, "2026-03-10 12:00", json!({"action": "approve_extension"})).await;
        w.close_and_call_back(&store, c, "2026-03-11", true, "dissatisfied").await;
        // 4. A duplicate of 1, registered then merged; 5. a rejected report.
        let d = w.file(&store, Channel::Hotline, WANGJING, "2026-03-02 08:30").await;
        let d = w.act(&store, d, &w.admin, "2026-03-02 08:40", json!({"action": "register"})).await;
        w.act(&store, d, &w.admin, "2026-03-02 08:50", json!({"action": "merge", "into": a.id})).await;
        let e = w.file(&store, Channel::Grid, WANGJING, "2026-03-20 08:00").await;
        w.act(&store, e, &w.admin, "2026-03-20 08:10", json!({"action": "reject", "reason": "非城市管理问题"})).await;
        // 6. 东华门 / DHM: dispatched 31 March 23:00, accepted 1 April 08:00, closed in April.
        let f = w.file(&store, Channel::Hotline, DONGHUAMEN, "2026-03-31 22:00").await;
        let f = w.act(&store, f, &w.admin, "2026-03-31 22:30", json!({"action": "register"})).await;
        let f = w.act(&store, f, &w.admin, "2026-03-31 23:00", json!({"action": "dispatch", "unit": "DHM"})).await;
        let f = w.act(&store, f, &w.staff("DHM"), "2026-04-01 08:00", json!({"action": "accept"})).await;
        w.close_and_call_back(&store, f, "2026-04-02", true, "satisfied").await;

        let stored = store.rollups().stored().await.unwrap();
        assert_eq!(stored, store.rollups().from_events().await.unwrap(), "{engine}: live rollups differ from the events");

        let march = store.rollups().rate_counts(month("2026-03"), RateLevel::Unit, None).await.unwrap();
        let wj = march["WJ"];
        assert_eq!(
            wj,
            RateCounts {
                dispatched: 3,
                responded: 2,
                closed: 3,
                closed_on_time: 2,
                closed_reworked: 1,
                closed_extended: 1,
                called_back: 3,
                resolved: 2,
                satisfied: 1,
                basically_satisfied: 1,
                ..RateCounts::default()
            },
            "{engine}"
        );
        assert_eq!((march["WJ2"].dispatched, march["WJ2"].returned), (1, 1), "{engine}");
        // DHM's dispatch and response count in March, its closure in April.
        assert_eq!((march["DHM"].dispatched, march["DHM"].responded, march["DHM"].closed), (1, 1, 0), "{engine}");
        let april = store.rollups().rate_counts(month("2026-04"), RateLevel::Unit, None).await.unwrap();
        assert_eq!((april["DHM"].closed, april["DHM"].called_back), (1, 1), "{engine}");

        // Streets and districts add up the same counters.
        let streets = store.rollups().rate_counts(month("2026-03"), RateLevel::Street, None).await.unwrap();
        assert_eq!((streets[WANGJING].registered, streets[WANGJING].rejected, streets[WANGJING].merged), (4, 1, 1), "{engine}");
        let districts = store.rollups().rate_counts(Period::parse("2026-03..2026-04").unwrap(), RateLevel::District, None).await.unwrap();
        assert_eq!(districts["110105"].dispatched, 4, "{engine}");
        assert_eq!(districts["110101"].called_back, 1, "{engine}");
        let chaoyang = store.rollups().rate_counts(month("2026-03"), RateLevel::Street, Some("110105")).await.unwrap();
        assert_eq!(chaoyang.keys().collect::<Vec<_>>(), vec![WANGJING], "{engine}");
        let total = store.rollups().rate_total(month("2026-03"), Some("110105"), Some("WJ")).await.unwrap();
        assert_eq!(total, wj, "{engine}");

        // Volume: four registered in 望京 in March, one merged away → 3 hotline; grid rejected.
        // By street, or summed over the district (read from the district table) or the city.
        let march = Month::parse("2026-03").unwrap();
        let hotline = Some(Channel::Hotline);
        let volume = store.rollups().volume(march, march, Some("110105"), hotline, VolumeGrain::Street).await.unwrap();
        assert_eq!(volume.iter().map(|r| r.count).sum::<i64>(), 3, "{engine}");
        assert!(volume.iter().all(|r| r.region == WANGJING), "{engine}");
        for (prefix, summed) in [(Some("110105"), "110105"), (Some(WANGJING), WANGJING), (None, "")] {
            let by_category = store.rollups().volume(march, march, prefix, hotline, VolumeGrain::Category).await.unwrap();
            let counts: Vec<_> = by_category.iter().map(|r| (r.region.as_str(), r.count)).collect();
            assert_eq!(counts.iter().map(|c| c.1).sum::<i64>(), if prefix.is_none() { 4 } else { 3 }, "{engine} {prefix:?}");
            assert!(counts.iter().all(|c| c.0 == summed), "{engine} {prefix:?}");
        }
        assert!(store.rollups().volume(march, march, Some("110108"), hotline, VolumeGrain::Category).await.unwrap().is_empty(), "{engine}");
        let grid = store.rollups().volume(march, march, None, Some(Channel::Grid), VolumeGrain::Street).await.unwrap();
        assert!(grid.is_empty(), "{engine}");
        let check = store.rollups().check().await.unwrap();
        assert_eq!(check.differing_rows, 0, "{engine}");
        assert_eq!(store.rollups().stored_district_volume().await.unwrap(), stored.district_volume(), "{engine}");

        // A rebuild replaces the counters by the same ones.
        let rebuilt = store.rollups().rebuild().await.unwrap();
        assert_eq!(rebuilt, stored, "{engine}");
        assert_eq!(store.rollups().stored().await.unwrap(), stored, "{engine}");
    })
    .await;
}

#[tokio::test]
async fn a_rebuild_repairs_damaged_counters_and_an_empty_store_has_none() {
    each_store(async |engine, store| {
        assert!(store.rollups().rebuild().await.unwrap().is_empty(), "{engine}");
        assert!(store.rollups().rate_counts(month("2026-03"), RateLevel::Street, None).await.unwrap().is_empty());
        assert_eq!(store.rollups().rate_total(month("2026-03"), None, None).await.unwrap(), RateCounts::default());
        let w = World::new();
        w.dispatched(&store, WANGJING, "WJ", "2026-03-02", "09:00").await;
        let good = store.rollups().stored().await.unwrap();
        // Counters added without events (as a benchmark load does) are not in the event log.
        let mut stray = good.clone();
        for counts in stray.rates.values_mut() {
            counts.supervised += 5;
        }
        store.rollups().add(stray).await.unwrap();
        assert_ne!(store.rollups().stored().await.unwrap(), good, "{engine}");
        // The stray copy doubled the volume and the daily counts too: every row differs.
        let rows = good.rates.len() + good.volume.len() + good.district_volume().len() + good.daily.len();
        assert_eq!(store.rollups().check().await.unwrap().differing_rows, rows, "{engine}");
        store.rollups().rebuild().await.unwrap();
        assert_eq!(store.rollups().stored().await.unwrap(), good, "{engine}");
        assert_eq!(store.rollups().check().await.unwrap().differing_rows, 0, "{engine}");
    })
    .await;
}

#[tokio::test]
async fn a_store_from_before_the_daily_counters_catches_up_when_opened() {
    use sqlx::{Connection, Executor};
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let w = World::new();
        w.dispatched(&store, WANGJING, "WJ", "2026-03-02", "09:00").await;
        let good = store.rollups().stored().await.unwrap();
        assert!(!good.daily.is_empty(), "{engine}");
        store.close().await;
        // What a store written before migration 0008 looks like once migrated.
        let mut conn = sqlx::AnyConnection::connect(&url).await.unwrap();
        let due_soon_at = "SELECT due_soon_at FROM cases";
        let before: Option<i64> = sqlx::query_scalar(due_soon_at).fetch_one(&mut conn).await.unwrap();
        assert!(before.is_some(), "{engine}: a running clock turns due soon some time");
        conn.execute("DELETE FROM rollup_daily").await.unwrap();
        conn.execute("UPDATE rollup_rates SET received = 0").await.unwrap();
        conn.execute("UPDATE cases SET due_soon_at = NULL").await.unwrap();
        let store = Store::open(&url).await.unwrap();
        assert_eq!(store.rollups().stored().await.unwrap(), good, "{engine}");
        let after: Option<i64> = sqlx::query_scalar(due_soon_at).fetch_one(&mut conn).await.unwrap();
        assert_eq!(after, before, "{engine}");
        conn.close().await.unwrap();
        store.close().await;
    }
}
