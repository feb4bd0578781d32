//! The demo city: Beijing's districts and streets (built into the binary), a few dozen units,
//! one user per role, and a few thousand cases that went through the real workflow at plausible
//! times over the past months, so that every state, late case and call-back is there to see; and
//! the committee's project ledger (`demo/ledger.rs`): 2020 closed, the current year in progress.

mod ledger;
mod photos;

use std::fmt::Write as _;
use std::path::Path;

use anyhow::Context as _;
use gridline_core::actor::{Actor, Role};
use gridline_core::calendar::WorkCalendar;
use gridline_core::case::{Case, CaseEvent, CaseId, CaseStatus, Change, Channel, GeoPoint, Intake, Reporter, Satisfaction, SupervisionLevel};
use gridline_core::ids::UnitCode;
use gridline_core::reference::Reference;
use gridline_core::routing::RouteQuery;
use gridline_core::region::{Region, RegionLevel, RegionTree};
use gridline_core::sla::LimitUnit;
use gridline_core::unit::{Unit, UnitKind};
use gridline_core::workflow::{Command, Context, decide};
use gridline_store::{Store, UserRecord};
use jiff::{SignedDuration, Timestamp};
use rand::rngs::StdRng;
use rand::seq::IndexedRandom;
use rand::{Rng, SeedableRng};

const CREDENTIALS_FILE: &str = "demo-credentials.txt";
/// A password hash no password matches: staff accounts that exist for the history but cannot sign in.
pub(crate) const LOCKED: &str = "!locked";
/// Cases are spread over this many days before today.
const HISTORY_DAYS: i64 = 120;

/// The central districts, where two cases in three happen.
const CENTRAL_DISTRICTS: [&str; 3] = ["110101000000", "110102000000", "110105000000"];
/// The districts whose every street has its own street office in the demo (others are handled by
/// the district's departments), and 望京, where the demo's grid worker and handler work.
const STREET_OFFICE_DISTRICTS: [&str; 2] = ["110101000000", "110102000000"];
pub(crate) const WANGJING: &str = "110105026000";

/// One demo user per role: (username, display name, role, unit code).
const ROLE_USERS: [(&str, &str, Role, Option<&str>); 8] = [
    ("admin", "系统管理员", Role::Admin, None),
    ("operator", "12345热线话务员", Role::HotlineOperator, None),
    ("grid", "望京街道网格员", Role::GridWorker, Some("110105026000-JD")),
    ("dispatcher", "市级派单员", Role::Dispatcher, None),
    ("handler", "望京街道承办人", Role::HandlingUnit, Some("110105026000-JD")),
    ("supervisor", "首都文明办督查", Role::Supervisor, None),
    ("inspector", "创城测评员", Role::Inspector, None),
    ("member", "市商务局联络员", Role::MemberUnit, Some("BJ-SWJ")),
];

/// Creates the demo city unless it exists; returns the sign-in table to print.
pub async fn ensure(store: &Store, data_dir: &Path, cases: usize) -> anyhow::Result<String> {
    // The credentials file is written last: it marks a finished demo city.
    let credentials_path = data_dir.join(CREDENTIALS_FILE);
    if credentials_path.exists() {
        return std::fs::read_to_string(&credentials_path).with_context(|| format!("reading {}", credentials_path.display()));
    }
    if !store.people().users().await?.is_empty() {
        anyhow::bail!(
            "{} holds data but no finished demo (an earlier run was interrupted, or it is not a demo): remove it or choose another --data-dir",
            data_dir.display()
        );
    }
    let regions = gridline_geo::beijing();
    let reference = Reference::builtin(&regions);
    let now = Timestamp::now();
    let units = units(&regions);
    for unit in &units {
        store.people().put_unit(unit, now).await?;
    }
    let mut table = String::from("demo users (username / password / role):\n");
    let mut people = People::default();
    for (username, display, role, unit) in ROLE_USERS {
        let password = demo_password();
        let user = crate::add_user(store, username, Some(display), role, unit.map(demo_code), &password).await?;
        writeln!(table, "  {username:<11} {password:<18} {}", role.as_str())?;
        people.add(user);
    }
    for unit in &units {
        let user = store
            .people().create_user(
                &gridline_store::NewUser {
                    username: format!("staff-{}", unit.code),
                    display_name: format!("{}承办人", unit.name),
                    role: if unit.kind == UnitKind::MemberUnit { Role::MemberUnit } else { Role::HandlingUnit },
                    unit: Some(unit.code.clone()),
                    password_hash: LOCKED.into(),
                },
                now,
            )
            .await?;
        people.add(user);
    }
    let histories = City { regions: &regions, reference: &reference, units: &units, people: &people }.histories(cases, now, 2026);
    let mut created = Vec::with_capacity(histories.len());
    for chunk in histories.chunks(500) {
        created.extend(store.cases().import(chunk.to_vec()).await?);
    }
    // A store without a files directory (PostgreSQL) keeps the demo's photos in the data directory.
    let files = match store.attachments().dir() {
        Ok(_) => store.clone(),
        Err(_) => store.clone().with_files_dir(data_dir.join("files")),
    };
    let app = gridline_app::App::new(files, std::sync::Arc::new(regions.clone()), &gridline_app::TextOptions::default()).await?;
    let photos = photos::attach(&app, &created).await?;
    tracing::info!(photos, "demo photos added");
    // Two more evaluators beside the demo's inspector, for the rounds to be shared among.
    let mut inspectors = vec![people.named("inspector")];
    for n in 2..=3 {
        let user = gridline_store::NewUser {
            username: format!("inspector{n}"),
            display_name: format!("创城测评员{n}"),
            role: Role::Inspector,
            unit: None,
            password_hash: LOCKED.into(),
        };
        inspectors.push(People::actor(&store.people().create_user(&user, now).await?));
    }
    let seeded = crate::demo_evaluation::seed(store, &regions, &people.named("dispatcher"), &inspectors, now).await?;
    tracing::info!(
        points = seeded.points,
        rounds = seeded.rounds,
        answers = seeded.answers,
        cases = seeded.cases,
        verified = seeded.verified,
        responses = seeded.responses,
        "demo evaluation seeded"
    );
    let material = crate::demo_evaluation::seed_material_review(&app, &regions, &people.named("supervisor"), &inspectors, now).await?;
    tracing::info!(submissions = material.submissions, scores = material.scores, settled = material.settled, disagreements = material.disagreements,
        "demo material review seeded");
    let alleys = crate::demo_alleys::seed(store, &regions, &people.named("dispatcher"), now).await?;
    table.push_str(&alleys.steward_line);
    tracing::info!(alleys = alleys.alleys, patrols = alleys.patrols, checks = alleys.checks, cases = alleys.cases, months = alleys.months,
        downgraded = alleys.downgraded, restored = alleys.restored, listed = alleys.listed, delisted = alleys.delisted,
        title_changes = alleys.title_changes, "demo alleys seeded");
    supervise_overdue(store, &people, now).await?;
    ledger::seed(store, &units, &people.named("supervisor"), &people.named("member"), now).await?;
    write_private(&credentials_path, &table)?;
    Ok(table)
}

/// The supervisor raises orders (督办) on three dispatched cases still open: what the 督办单
/// documents are made of.
async fn supervise_overdue(store: &Store, people: &People, now: Timestamp) -> anyhow::Result<()> {
    let Some(supervisor) = people.users.iter().find(|u| u.role == Role::Supervisor) else { return Ok(()) };
    let mut filter = gridline_store::CaseFilter::new(gridline_store::Visibility::All, now);
    filter.status = Some(CaseStatus::Dispatched);
    filter.page_size = 3;
    for (case, level) in store.cases().list(&filter).await?.cases.iter().zip([SupervisionLevel::Urgent, SupervisionLevel::Key, SupervisionLevel::General]) {
        let order = gridline_core::supervision::NewOrder {
            target_kind: gridline_core::supervision::TargetKind::Case,
            target: case.id.to_string(),
            level,
            note: "该案件已超过办理时限，请承办单位负责同志亲自督办，限期办结并书面反馈。".into(),
            deadline: now + SignedDuration::from_hours(72),
        };
        store.supervision().create_order(&order, supervisor.id, now).await?;
    }
    Ok(())
}

/// Twelve characters from an alphabet without look-alikes (no 0/O, 1/l/I): about 69 bits.
pub(crate) fn demo_password() -> String {
    const ALPHABET: &[u8] = b"abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789";
    (0..12).map(|_| char::from(ALPHABET[rand::random_range(0..ALPHABET.len())])).collect()
}

/// Writes a file only its owner can read, whole or not at all (through a rename).
fn write_private(path: &Path, text: &str) -> std::io::Result<()> {
    use std::io::Write as _;
    use std::os::unix::fs::OpenOptionsExt as _;
    let partial = path.with_extension("partial");
    let mut file = std::fs::OpenOptions::new().write(true).create(true).truncate(true).mode(0o600).open(&partial)?;
    file.write_all(text.as_bytes())?;
    file.sync_all()?;
    std::fs::rename(&partial, path)
}

/// A code the demo writes itself (its units', or one its catalogue and regions hold): valid by
/// construction, so a refusal is a bug in the demo.
fn demo_code<T: std::str::FromStr<Err = gridline_core::DomainError>>(text: &str) -> T {
    text.parse().unwrap_or_else(|e| panic!("the demo's own code {text:?}: {e}"))
}

/// Units of the demo city: the city's departments and service companies (each handling one unit
/// type city-wide), member units, each district's city-management committee and enforcement
/// bureau, and street offices in two central districts and 望京. Elsewhere, street-level problems
/// find no street office and wait for the dispatcher, who sends them to the district.
fn units(regions: &RegionTree) -> Vec<Unit> {
    let city_unit = |code: &str, name: &str, kind: UnitKind, types: &[&str]| Unit {
        code: demo_code(code),
        name: name.into(),
        kind,
        regions: vec!["110000000000".to_owned()],
        types: types.iter().map(|t| (*t).to_owned()).collect(),
    };
    use UnitKind::{Department, MemberUnit, PublicService};
    let mut units = vec![
        city_unit("BJ-CGW", "北京市城市管理委员会", Department, &[]),
        city_unit("BJ-JTW", "北京市交通委员会", Department, &["transport"]),
        city_unit("BJ-GLJ", "北京市公路局", Department, &["roads"]),
        city_unit("BJ-ZJW", "北京市住房和城乡建设委员会", Department, &["housing"]),
        city_unit("BJ-YLJ", "北京市园林绿化局", Department, &["greening"]),
        city_unit("BJ-GAJ", "北京市公安局", Department, &["public_security"]),
        city_unit("BJ-JGJ", "北京市公安局公安交通管理局", Department, &["traffic_police"]),
        city_unit("BJ-XFZD", "北京市消防救援总队", Department, &["fire_rescue"]),
        city_unit("BJ-SCJGJ", "北京市市场监督管理局", Department, &["market_regulation"]),
        city_unit("BJ-RSJ", "北京市人力资源和社会保障局", Department, &["human_resources"]),
        city_unit("BJ-STHJJ", "北京市生态环境局", Department, &["ecology_environment"]),
        city_unit("BJ-JW", "北京市教育委员会", Department, &["education"]),
        city_unit("BJ-WJW", "北京市卫生健康委员会", Department, &["health"]),
        city_unit("BJ-YBJ", "北京市医疗保障局", Department, &["medical_security"]),
        city_unit("BJ-MZJ", "北京市民政局", Department, &["civil_affairs"]),
        city_unit("BJ-TYJRJ", "北京市退役军人事务局", Department, &["veterans_affairs"]),
        city_unit("BJ-GHZRW", "北京市规划和自然资源委员会", Department, &["planning_natural_resources"]),
        city_unit("BJ-WLJ", "北京市文化和旅游局", Department, &["culture_tourism"]),
        city_unit("BJ-ZWFWJ", "北京市政务服务和数据管理局", Department, &["government_services"]),
        city_unit("BJ-WMB", "首都精神文明建设委员会办公室", Department, &["civilisation_office"]),
        city_unit("BJ-XCB", "中共北京市委宣传部", Department, &["publicity"]),
        city_unit("BJ-ZLS", "北京市自来水集团", PublicService, &["water_supply"]),
        city_unit("BJ-PSJT", "北京城市排水集团", PublicService, &["drainage"]),
        city_unit("BJ-RQJT", "北京市燃气集团", PublicService, &["gas"]),
        city_unit("BJ-RLJT", "北京市热力集团", PublicService, &["heating"]),
        city_unit("BJ-DL", "国网北京市电力公司", PublicService, &["power"]),
        city_unit("BJ-TXGLJ", "北京市通信管理局", PublicService, &["telecom"]),
        city_unit("BJ-SWJ", "北京市商务局", MemberUnit, &[]),
        city_unit("BJ-TSW", "共青团北京市委员会", MemberUnit, &[]),
    ];
    for district in regions.at_level(RegionLevel::District) {
        let district_unit = |suffix: &str, name: &str, unit_type: &str| Unit {
            code: demo_code(&format!("{}-{suffix}", district.code)),
            name: format!("{}{name}", district.name),
            kind: Department,
            regions: vec![district.code.clone()],
            types: vec![unit_type.to_owned()],
        };
        units.push(district_unit("CGW", "城市管理委员会", "district_city_management"));
        units.push(district_unit("CGZF", "城市管理综合行政执法局", "city_management_enforcement"));
    }
    for street in regions.at_level(RegionLevel::Street) {
        if street.code == WANGJING || STREET_OFFICE_DISTRICTS.contains(&street.parent.as_deref().unwrap_or_default()) {
            units.push(Unit {
                code: demo_code(&format!("{}-JD", street.code)),
                name: street_office_name(&street.name),
                kind: UnitKind::StreetOffice,
                regions: vec![street.code.clone()],
                types: vec!["street_office".to_owned()],
            });
        }
    }
    units
}

fn street_office_name(street: &str) -> String {
    if street.ends_with('镇') || street.ends_with('乡') {
        format!("{street}人民政府")
    } else {
        format!("{street}办事处")
    }
}

#[derive(Default)]
struct People {
    users: Vec<UserRecord>,
}

impl People {
    fn add(&mut self, user: UserRecord) {
        self.users.push(user);
    }

    fn actor(user: &UserRecord) -> Actor {
        Actor { user_id: user.id, username: user.username.clone(), role: user.role, unit: user.unit.clone() }
    }

    fn named(&self, username: &str) -> Actor {
        Self::actor(self.users.iter().find(|u| u.username == username).expect("demo user"))
    }

    /// Someone who works for `unit`, preferring the demo user who can sign in.
    fn staff_of(&self, unit: &str) -> Actor {
        let mut staff = self.users.iter().filter(|u| u.unit.as_deref() == Some(unit) && u.role != Role::GridWorker);
        let first = staff.next().expect("every unit has staff");
        Self::actor(first)
    }
}

struct City<'a> {
    regions: &'a RegionTree,
    reference: &'a Reference,
    units: &'a [Unit],
    people: &'a People,
}

/// A few ways citizens describe the commonest problems, with `{place}` for where.
fn complaint_texts(category: &str) -> Option<&'static [&'static str]> {
    Some(match category {
        "S0102" => &["{place}路边有生活垃圾无人清运,散发异味", "{place}垃圾桶满溢,垃圾散落一地", "{place}绿地里有人倾倒生活垃圾"],
        "S0103" => &["{place}渣土堆积多日未清理,刮风扬尘", "{place}拆迁后垃圾渣土一直没人管"],
        "S0111" => &["{place}楼道和路边堆放杂物,影响通行和消防", "{place}有商户在人行道上堆放货物"],
        "W0101" => &["{place}沿街商户门前卫生差,门前三包不落实", "{place}餐馆门口油污严重无人清扫"],
        "S0104" => &["{place}路面泥土多,车辆经过尘土飞扬", "{place}人行道上油渍和污物没人清扫"],
        "S0201" => &["{place}墙上和电线杆上贴满了小广告", "{place}有人在楼道里张贴办证小广告", "{place}路面喷涂了很多小广告"],
        "W0401" => &["{place}公益广告牌破损,画面脱落", "{place}围挡上的公益广告褪色破损"],
        "S0501" => &["{place}晚上有流动摊贩占道经营,油烟大", "{place}地铁口游商聚集,影响通行"],
        "S0502" => &["{place}水果店把摊位摆到店外人行道上", "{place}饭馆在店外摆桌经营到深夜"],
        "S0505" => &["{place}共享单车乱停乱放堵住盲道", "{place}地铁口非机动车停放杂乱"],
        "S0504" => &["{place}机动车乱停在人行道上,行人只能走机动车道", "{place}消防通道被私家车长期占用"],
        "W0201" => &["{place}路口车辆不礼让行人,过马路很危险", "{place}斑马线前车辆抢行,请加强管理"],
        "B0201" => &["{place}路面有大坑,下雨积水,车辆颠簸", "{place}人行道砖松动破损,老人容易绊倒"],
        "B0103" => &["{place}雨水井盖缺失,只用树枝挡着,非常危险", "{place}雨水井盖破损下沉"],
        "B0120" => &["{place}路灯连续几天晚上不亮", "{place}胡同里路灯坏了,晚上一片漆黑"],
        "S0106" => &["{place}绿地里杂草丛生,垃圾很多", "{place}树池里堆满烟头和塑料袋"],
        "S0301" => &["{place}工地夜间施工噪声扰民,影响休息", "{place}工地早上六点就开始施工,噪声很大"],
        "R0101" => &["{place}楼下商户音响声音太大,噪声扰民", "{place}广场舞音响太响,影响居民休息"],
        "R0201" => &["{place}小区物业不作为,楼道灯坏了很久没人修", "{place}物业服务差,垃圾清运不及时"],
        "R0301" => &["{place}家里暖气不热,室温只有十几度", "{place}整栋楼供暖不热,多次反映没有解决"],
        _ => return None,
    })
}

const PLACES: [&str; 10] = ["小区南门", "地铁站B口", "菜市场旁", "胡同口", "公交站附近", "学校门口", "十字路口", "公园东门", "社区卫生站旁", "商场停车场"];
const SURNAMES: [&str; 10] = ["张", "王", "李", "赵", "刘", "陈", "杨", "黄", "周", "吴"];

impl City<'_> {
    /// Simulates `count` cases received over the past months; each goes through the workflow as
    /// far as `now` allows.
    fn histories(&self, count: usize, now: Timestamp, seed: u64) -> Vec<Vec<CaseEvent>> {
        let mut rng = StdRng::seed_from_u64(seed);
        // Cases get their street's label point as location: functional areas have none.
        let streets: Vec<&Region> = self.regions.at_level(RegionLevel::Street).filter(|s| s.label_point.is_some()).collect();
        let leaves: Vec<&str> = self.reference.catalogue.leaves().map(|e| e.code.as_str()).collect();
        // Most cases are the common problems citizens describe in their own words; the rest
        // spread over the whole catalogue.
        let common: Vec<&str> = leaves.iter().copied().filter(|c| complaint_texts(c).is_some()).collect();
        let mut starts: Vec<Timestamp> = (0..count)
            .map(|_| {
                // A platform always has a fresh backlog: one case in six arrived in the last three days.
                let horizon = if rng.random_bool(1.0 / 6.0) { 3 } else { HISTORY_DAYS };
                now - SignedDuration::from_secs(rng.random_range(600..horizon * 86_400))
            })
            .collect();
        starts.sort();
        let mut histories: Vec<Vec<CaseEvent>> = Vec::with_capacity(count);
        for (n, received_at) in starts.into_iter().enumerate() {
            // Two cases in three fall in the central districts, where the street offices are.
            let street = loop {
                let s = *streets.choose(&mut rng).expect("streets");
                if rng.random_bool(0.35) || CENTRAL_DISTRICTS.contains(&s.parent.as_deref().unwrap_or_default()) {
                    break s;
                }
            };
            let category = *if rng.random_bool(0.7) { &common } else { &leaves }.choose(&mut rng).expect("leaves");
            let history = self.simulate(&mut rng, n, street, category, received_at, now, &histories);
            histories.push(history);
        }
        histories
    }

    #[allow(clippy::too_many_arguments)]
    fn simulate(
        &self,
        rng: &mut StdRng,
        n: usize,
        street: &Region,
        category: &str,
        received_at: Timestamp,
        now: Timestamp,
        earlier: &[Vec<CaseEvent>],
    ) -> Vec<CaseEvent> {
        let channel = *[Channel::Hotline, Channel::Hotline, Channel::Hotline, Channel::Grid, Channel::Grid, Channel::Inspection, Channel::AlleyPatrol, Channel::Public]
            .choose(rng)
            .expect("channels");
        let (reporter_actor, reporter) = match channel {
            Channel::Hotline | Channel::Public => {
                let name = format!("{}{}", SURNAMES.choose(rng).expect("names"), if rng.random_bool(0.5) { "先生" } else { "女士" });
                let phone = format!("1{}{:09}", [3, 5, 8].choose(rng).expect("prefix"), rng.random_range(0..1_000_000_000u32));
                (self.people.named("operator"), Some(Reporter { name: Some(name), phone: Some(phone) }))
            }
            Channel::Inspection | Channel::AlleyPatrol => (self.people.named("inspector"), None),
            _ if street.code == WANGJING => (self.people.named("grid"), None),
            _ => (self.people.named("dispatcher"), None),
        };
        let place = format!("{}{}", street.name, PLACES.choose(rng).expect("places"));
        let entry = self.reference.catalogue.get(category).expect("a catalogue leaf");
        let description = match complaint_texts(category) {
            Some(texts) => texts.choose(rng).expect("texts").replace("{place}", &place),
            None => format!("{place}发现{},请尽快处理", entry.name),
        };
        let (lat, lon) = street.label_point.unwrap_or((39.9, 116.4));
        let intake = Intake {
            channel,
            external_id: (channel == Channel::Hotline).then(|| {
                format!("12345-{}-{:05}", received_at.to_zoned(WorkCalendar::china().time_zone().clone()).strftime("%Y%m%d"), n)
            }),
            category: Some(demo_code(category)),
            category_version: Some(entry.version),
            source: None,
            emergency: false,
            region: Some(demo_code(&street.code)),
            title: description.chars().take(24).collect(),
            description,
            address: Some(format!("北京市{}{place}", self.regions.ancestor_at(&street.code, RegionLevel::District).map_or("", |d| d.name.as_str()))),
            location: Some(GeoPoint { lat: lat + rng.random_range(-0.004..0.004), lon: lon + rng.random_range(-0.004..0.004) }),
            reporter,
            // Photos are attachments (demo/photos.rs), not links.
            photos: vec![],
            suggestion: None,
        };
        let first = CaseEvent { seq: 1, at: received_at, actor: reporter_actor, change: Change::Receive(intake) };
        let mut sim = Simulation { city: self, case: Case::received(CaseId::UNSTORED, &first).expect("intake"), events: vec![first], at: received_at, now, stopped: false };
        let dispatcher = self.people.named("dispatcher");
        let minutes = |rng: &mut StdRng, lo: i64, hi: i64| SignedDuration::from_mins(rng.random_range(lo..hi));

        // Register, reject or merge.
        let roll = rng.random_range(0..100);
        if roll < 4 {
            sim.step(minutes(rng, 5, 90), &dispatcher, Command::Reject { reason: "不属于受理范围,已告知来电人向物业反映".into() });
            return sim.events;
        }
        if roll < 7 {
            // Merge into a recent live case about the same problem (ids follow the import order).
            let master = earlier.iter().enumerate().rev().take(40).find_map(|(i, h)| {
                let target = Case::replay(CaseId::new(i64::try_from(i + 1).ok()?).ok()?, h)?;
                (target.category.as_deref() == Some(category)
                    && !matches!(target.status, CaseStatus::Rejected | CaseStatus::Merged))
                .then_some(target)
            });
            if let Some(master) = master {
                let command = Command::Merge { into: master.id, note: Some("同一问题重复反映,并案处理".into()) };
                sim.step_with(minutes(rng, 5, 60), &dispatcher, command, Some(&master));
                return sim.events;
            }
        }
        sim.step(minutes(rng, 5, 360), &dispatcher, Command::Register { category: None, region: None, note: None });
        // The rules dispatch at registration when they are certain; otherwise the dispatcher
        // chooses, now and then a wrong unit first, which sends the case back.
        let route = self.route(category, &street.code, sim.at);
        let unit = match (route.certain, route.unit) {
            (true, Some(unit)) => {
                let rule = route.rule.map(|r| r.id);
                sim.step(SignedDuration::ZERO, &dispatcher, Command::Dispatch { unit: unit.clone(), note: Some(route.reason), rule });
                unit
            }
            _ => {
                let unit: UnitCode = demo_code(&format!("{}-CGW", street.parent.as_deref().unwrap_or_default()));
                let returned = rng.random_bool(0.1);
                if returned {
                    sim.step(minutes(rng, 5, 120), &dispatcher, Command::Dispatch { unit: demo_code("BJ-CGW"), note: None, rule: None });
                    sim.step(minutes(rng, 30, 600), &self.people.staff_of("BJ-CGW"), Command::Return { reason: "不属本单位职责,请改派属地单位".into() });
                }
                // A returned case waits for the dispatcher's next round, as do some others (a weekend).
                let wait = if returned {
                    minutes(rng, 720, 4320)
                } else if rng.random_bool(0.15) {
                    minutes(rng, 720, 2880)
                } else {
                    minutes(rng, 5, 120)
                };
                sim.step(wait, &dispatcher, Command::Dispatch { unit: unit.clone(), note: None, rule: None });
                unit
            }
        };
        let staff = self.people.staff_of(&unit);
        let wait = if rng.random_bool(0.15) { minutes(rng, 600, 2880) } else { minutes(rng, 10, 240) };
        sim.step(wait, &staff, Command::Accept { note: Some("已签收".into()) });
        if rng.random_bool(0.08) {
            sim.step(minutes(rng, 60, 900), &self.people.named("supervisor"), Command::Supervise {
                level: *[SupervisionLevel::General, SupervisionLevel::General, SupervisionLevel::Key, SupervisionLevel::Urgent].choose(rng).expect("levels"),
                note: "群众反映强烈,请加快办理并反馈".into(),
            });
        }
        if rng.random_bool(0.05) {
            sim.step(minutes(rng, 60, 600), &staff, Command::RequestExtension { amount: 3, unit: LimitUnit::WorkingDays, reason: "需协调产权单位,申请延期".into() });
            sim.step(minutes(rng, 30, 300), &dispatcher, Command::ApproveExtension { approved: rng.random_bool(0.8), note: None });
        }
        if rng.random_bool(0.03) {
            sim.step(minutes(rng, 60, 600), &dispatcher, Command::Suspend { reason: "涉及规划调整,待相关部门出具意见".into() });
            sim.step(minutes(rng, 1440, 6 * 1440), &dispatcher, Command::Resume { note: None });
        }
        // Most units finish well within the limit; some are late and a few very late.
        let limit_secs = sim.case.clock.as_ref().map_or(86_400, |c| c.budget_seconds.max(3600));
        let share = *[0.2, 0.4, 0.6, 0.8, 0.9, 1.5, 3.0].choose(rng).expect("shares");
        #[allow(clippy::cast_possible_truncation, clippy::cast_precision_loss)]
        let handle_after = SignedDuration::from_secs(((limit_secs as f64) * share * 1.8) as i64);
        let verifier = if street.code == WANGJING { self.people.named("grid") } else { dispatcher.clone() };
        sim.step(handle_after, &staff, Command::Handle { feedback: "已安排人员现场处置,问题已整改".into(), photos: vec![] });
        if rng.random_bool(0.08) {
            sim.step(minutes(rng, 60, 1440), &verifier, Command::Verify { passed: false, note: Some("现场核查仍未整改到位".into()) });
            sim.step(minutes(rng, 120, 2880), &staff, Command::Handle { feedback: "已二次整改完毕".into(), photos: vec![] });
        }
        sim.step(minutes(rng, 60, 1440), &verifier, Command::Verify { passed: true, note: Some("现场核查已整改".into()) });
        let satisfaction = match rng.random_range(0..100) {
            0..80 => Satisfaction::Satisfied,
            80..93 => Satisfaction::BasicallySatisfied,
            _ => Satisfaction::Dissatisfied,
        };
        sim.step(minutes(rng, 240, 4320), &self.people.named("operator"), Command::Callback {
            resolved: satisfaction != Satisfaction::Dissatisfied || rng.random_bool(0.3),
            satisfaction,
            note: None,
        });
        sim.events
    }

    fn route(&self, category: &str, region: &str, at: Timestamp) -> gridline_core::routing::Route {
        let query = RouteQuery { category, region: Some(region), at, time_zone: WorkCalendar::china().time_zone() };
        self.reference.routing.route(query, &self.reference.catalogue, self.regions, self.units)
    }
}

/// One case going through the workflow; steps after `now` do not happen, nor any after them.
struct Simulation<'a> {
    city: &'a City<'a>,
    case: Case,
    events: Vec<CaseEvent>,
    at: Timestamp,
    now: Timestamp,
    stopped: bool,
}

impl Simulation<'_> {
    fn step(&mut self, after: SignedDuration, actor: &Actor, command: Command) {
        self.step_with(after, actor, command, None);
    }

    fn step_with(&mut self, after: SignedDuration, actor: &Actor, command: Command, merge_target: Option<&Case>) {
        let at = self.at + after;
        if self.stopped || at >= self.now {
            self.stopped = true;
            return;
        }
        let units = |code: &str| self.city.units.iter().find(|u| u.code == code).cloned();
        let ctx = Context { calendar: WorkCalendar::china(), catalogue: &self.city.reference.catalogue, regions: self.city.regions, units: &units, now: at };
        match decide(&self.case, &command, actor, &ctx, merge_target) {
            Ok(change) => {
                let event = CaseEvent { seq: self.case.version + 1, at, actor: actor.clone(), change };
                self.case.apply(&event);
                self.events.push(event);
                self.at = at;
            }
            Err(err) => panic!("the demo's own workflow is wrong: {err} ({})", command.action()),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn people() -> People {
        let mut people = People::default();
        let regions = gridline_geo::beijing();
        let mut id = 0;
        let mut user = |username: String, role: Role, unit: Option<UnitCode>| {
            id += 1;
            UserRecord { id, username: username.clone(), display_name: username, role, unit, password_hash: LOCKED.into(), disabled_at: None }
        };
        for (username, _, role, unit) in ROLE_USERS {
            people.add(user(username.into(), role, unit.map(demo_code)));
        }
        for unit in units(&regions) {
            people.add(user(format!("staff-{}", unit.code), Role::HandlingUnit, Some(unit.code)));
        }
        people
    }

    #[test]
    fn the_demo_city_has_cases_in_every_state_and_late_ones() {
        let regions = gridline_geo::beijing();
        let reference = Reference::builtin(&regions);
        let units = units(&regions);
        assert!((60..120).contains(&units.len()), "several dozen units, not {}", units.len());
        let people = people();
        let city = City { regions: &regions, reference: &reference, units: &units, people: &people };
        let now: Timestamp = "2026-11-20T06:00:00Z".parse().unwrap();
        let histories = city.histories(2000, now, 7);
        let cases: Vec<Case> = histories.iter().map(|h| Case::replay(CaseId::UNSTORED, h).expect("valid history")).collect();
        for status in CaseStatus::ALL {
            assert!(cases.iter().any(|c| c.status == status), "no case is {}", status.as_str());
        }
        assert!(cases.iter().any(|c| c.closed_late == Some(true)));
        assert!(cases.iter().any(|c| c.rework_count > 0 && c.supervision_count > 0 || c.extension_count > 0));
        assert!(histories.iter().flatten().all(|e| e.at < now));
        // The routing rules dispatch some cases themselves (an explicit rule or the catalogue's
        // default) and leave the rest to the dispatcher.
        let dispatched_by = |prefix: &str| {
            histories.iter().flatten().filter(|e| matches!(&e.change, Change::Dispatch { rule: Some(r), .. } if r.starts_with(prefix))).count()
        };
        assert!(dispatched_by("R-") > 0 && dispatched_by("catalogue:") > 0);
        assert!(histories.iter().flatten().any(|e| matches!(&e.change, Change::Dispatch { rule: None, .. })));
        // The same seed gives the same city.
        assert_eq!(city.histories(50, now, 7), city.histories(50, now, 7));
    }

    /// The rollups kept live, one event at a time as the server writes them, equal a fold of
    /// the event log over a generated city's every state, return, rework, extension,
    /// suspension, merge, supervision and call-back — on every engine under test.
    #[tokio::test]
    async fn rollups_written_event_by_event_equal_a_rebuild_over_a_generated_city() {
        let regions = gridline_geo::beijing();
        let reference = Reference::builtin(&regions);
        let units = units(&regions);
        let people = people();
        let city = City { regions: &regions, reference: &reference, units: &units, people: &people };
        let histories = city.histories(1500, Timestamp::now(), 11);
        let dir = tempfile::tempdir().unwrap();
        for (engine, url) in gridline_store::testing::fresh_databases(dir.path()).await {
            let store = Store::open(&url).await.unwrap();
            // The intakes first, in order, so the ids that merges name are the ones filed.
            let created = store.cases().import(histories.iter().map(|h| vec![h[0].clone()]).collect()).await.unwrap();
            let mut writers = tokio::task::JoinSet::new();
            for (history, created) in histories.iter().zip(created) {
                let (store, mut case, rest) = (store.clone(), created.case, history[1..].to_vec());
                writers.spawn(async move {
                    for event in rest {
                        case.apply(&event);
                        case = store.cases().append(case, event).await.unwrap();
                    }
                });
            }
            while let Some(done) = writers.join_next().await {
                done.unwrap();
            }
            let check = store.rollups().check().await.unwrap();
            assert_eq!(check.differing_rows, 0, "{engine}: {check:?}");
            assert!(check.rate_rows > 100 && check.volume_rows > 100 && check.district_volume_rows > 10, "{engine}: {check:?}");
            let rebuilt = store.rollups().rebuild().await.unwrap();
            assert_eq!(rebuilt, store.rollups().stored().await.unwrap(), "{engine}");
            store.close().await;
        }
    }
}
