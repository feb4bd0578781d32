//! Documents from the demo city, on every engine of `fresh_databases`: a 简报, the last month's
//! 通报, a 督办单, a district's 体检报告 and the 2020 ledger's year-end report issued through the
//! application layer, downloaded (hash checked) and read
//! back by readers written elsewhere (pdftotext, python-docx); a correction; bad input refused
//! with nothing issued; a stored file altered behind gridline's back refused at download. The
//! first pages are rendered to PNG beside the output (`$CARGO_TARGET_TMPDIR/documents-demo/`).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use gridline_app::documents::{ArticleInput, DocumentRequest, DocumentSettings, IssueOptions, ranking};
use gridline_app::{App, AppError};
use gridline_cli::report::{FOUR_PAGES, demo_articles};
use gridline_core::period::{Month, Period};
use gridline_report::Format;
use gridline_store::testing::fresh_databases;
use gridline_store::{DocumentFilter, RateLevel, Store};
use gridline_testing::documents::{first_page_png, pdf_pages, pdf_text, read_docx};
use jiff::Timestamp;

const GRIDLINE: &str = env!("CARGO_BIN_EXE_gridline");

fn squeeze(text: &str) -> String {
    text.split_whitespace().collect()
}

/// Writes both files of an issued document; the PDF's text, python-docx's reading, the page count.
async fn read_back(app: &App, id: i64, name: &str) -> Option<(String, serde_json::Value, u32)> {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("documents-demo");
    std::fs::create_dir_all(&dir).unwrap();
    let (pdf_path, docx_path) = (dir.join(format!("{name}.pdf")), dir.join(format!("{name}.docx")));
    std::fs::write(&pdf_path, app.document_file(id, Format::Pdf).await.unwrap().1).unwrap();
    std::fs::write(&docx_path, app.document_file(id, Format::Docx).await.unwrap().1).unwrap();
    first_page_png(&pdf_path, &dir.join(format!("{name}.png")))?;
    Some((pdf_text(&pdf_path)?, read_docx(&docx_path)?, pdf_pages(&pdf_path)?))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_demo_city_issues_a_bulletin_a_notice_and_a_supervision_order() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let data_dir = dir.path().join(engine);
        std::fs::create_dir_all(&data_dir).unwrap();
        gridline_cli::demo::ensure(&store, &data_dir, 1500).await.unwrap();
        let app = App::new(store.clone(), Arc::new(gridline_geo::beijing()), &Default::default()).await.unwrap();
        let supervisor = store.people().user_by_name("supervisor").await.unwrap().unwrap().actor();
        let operator = store.people().user_by_name("operator").await.unwrap().unwrap().actor();
        let settings = DocumentSettings { bulletin_first_total: 2214, ..DocumentSettings::default() };
        let now = Timestamp::now();

        // 简报
        let none = IssueOptions::default();
        let bulletin = DocumentRequest::Bulletin { articles: demo_articles(FOUR_PAGES) };
        let refused = app.issue_document(&operator, &bulletin, &settings, &none, now).await.unwrap_err();
        assert!(matches!(refused, AppError::Domain(_)), "{engine}: an operator does not issue: {refused}");
        let first = app.issue_document(&supervisor, &bulletin, &settings, &none, now).await.unwrap();
        assert_eq!((first.number, first.total), (1, 2214), "{engine}");
        let year = now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).year();
        if let Some((text, docx, pages)) = read_back(&app, first.id, &format!("{engine}-bulletin")).await {
            let flat = squeeze(&text);
            for expected in ["首都精神文明建设情况简报", "第1期", "（总第2214期）", "【重要会议】", "全市文明城区创建月度调度会召开", "（综合协调处）", "责编：梅雪峰", "发：各区委书记"] {
                assert!(flat.contains(expected), "{engine}: the 简报 lacks {expected}:\n{text}");
            }
            assert!(flat.contains(&format!("{year}年")), "{engine}: dated this year");
            assert_eq!(pages, 4, "{engine}: the demo 简报 is four pages");
            assert!(docx["east_asia_fonts"].as_array().unwrap().iter().any(|f| f == "仿宋_GB2312"), "{engine}: {docx}");
        }

        // A correction names the document it corrects and takes the next number.
        let correction = app.issue_document(&supervisor, &bulletin, &settings, &IssueOptions { corrects: Some(first.id), ..IssueOptions::default() }, now).await.unwrap();
        assert_eq!((correction.number, correction.total, correction.corrects), (2, 2215, Some(first.id)), "{engine}");
        if let Some((text, _, _)) = read_back(&app, correction.id, &format!("{engine}-correction")).await {
            assert!(squeeze(&text).contains(&format!("本期更正{year}年第1期")), "{engine}:\n{text}");
        }

        // 通报 of last month's district ranking: the figures are the ranking's.
        let month = Month::of(now).previous();
        let period = format!("{:04}-{:02}", month.year(), month.number());
        let rows = ranking(&store, &gridline_geo::beijing(), Period::month(month), RateLevel::District, None, gridline_app::documents::ranking_min_cases().unwrap()).await.unwrap();
        let top = rows.iter().find(|r| r.rank == Some(1)).expect("the demo city ranks its districts");
        let notice = DocumentRequest::Notice { period: period.clone(), level: "district".into(), bottom: Some(3), comment: None };
        let issued = app.issue_document(&supervisor, &notice, &settings, &none, now).await.unwrap();
        assert_eq!((issued.kind.as_str(), issued.number), ("notice", 1), "{engine}");
        if let Some((text, docx, _)) = read_back(&app, issued.id, &format!("{engine}-notice")).await {
            let flat = squeeze(&text);
            assert!(flat.contains(&format!("首都文明办〔{year}〕1号")), "{engine}:\n{text}");
            assert!(flat.contains(&format!("关于{}年{}月各区三率排名情况的通报", month.year(), month.number())), "{engine}:\n{text}");
            assert!(flat.contains(&format!("{}{:.1}", top.name, top.score.unwrap())), "{engine}: the top row's figures:\n{text}");
            assert!(flat.contains("二、约谈名单") && flat.contains("列入约谈名单"), "{engine}:\n{text}");
            let table = &docx["tables"][0];
            assert_eq!(table[1][1], serde_json::json!(top.name), "{engine}: the DOCX table's first row");
            assert_eq!(table.as_array().unwrap().len(), 1 + rows.iter().filter(|r| r.rank.is_some()).count(), "{engine}");
            assert_eq!(docx["images"], serde_json::json!(["image/png"]), "{engine}: the score chart is a PNG in the DOCX");
        }

        // 体检报告 of 朝阳区 for last month: the figures are the evaluation's health report's.
        let chaoyang = "110105000000";
        let data = app.health_report(chaoyang, Period::month(month)).await.unwrap();
        let score = data.score.score.expect("the demo scores 朝阳区");
        let health = DocumentRequest::HealthReport { region: chaoyang.into(), period: period.clone() };
        let issued_health = app.issue_document(&supervisor, &health, &settings, &none, now).await.unwrap();
        assert_eq!((issued_health.kind.as_str(), issued_health.number), ("health_report", 1), "{engine}");
        if let Some((text, docx, _)) = read_back(&app, issued_health.id, &format!("{engine}-health-report")).await {
            let flat = squeeze(&text);
            for expected in [
                format!("朝阳区{}年{}月创建测评体检报告", month.year(), month.number()),
                format!("首文明办测〔{year}〕1号"),
                format!("综合得分{score:.1}"),
                "一、总体得分".into(),
                "三、近六个月走势".into(),
                "七、未完成的整改".into(),
                "图1".into(),
                "图2".into(),
            ] {
                assert!(flat.contains(&expected), "{engine}: the 体检报告 lacks {expected}:\n{text}");
            }
            if let Some(lost) = data.lost_most.first() {
                assert!(flat.contains(&squeeze(&lost.text)), "{engine}: the clause that lost most:\n{text}");
            }
            let tables = docx["tables"].as_array().unwrap();
            assert_eq!(tables[0][0], serde_json::json!(["测评类别", "本区", "全市平均", "最好的区", "与全市比"]), "{engine}");
            assert_eq!(tables[0].as_array().unwrap().len(), 1 + data.categories.len(), "{engine}");
            assert!(docx["pictures_mm"].as_array().unwrap().len() >= 2, "{engine}: the charts as pictures: {docx}");
            assert!(docx["pictures_mm"].as_array().unwrap().iter().all(|w| w == 156), "{engine}: one type area wide: {docx}");
            assert_eq!(docx["font_table"]["仿宋_GB2312"]["alt"], "仿宋", "{engine}: the body font's fallback");
            assert_eq!(docx["font_table"]["方正小标宋简体"]["charset"], "86", "{engine}: GB2312");
        }

        // The ledger's year-end report of 2020, in the shape of 简报 2178.
        let ledger = app.issue_document(&supervisor, &DocumentRequest::LedgerReport { year: 2020 }, &settings, &none, now).await.unwrap();
        let ledger_data = app.ledger_report(&supervisor, 2020).await.unwrap();
        if let Some((text, docx, _)) = read_back(&app, ledger.id, &format!("{engine}-ledger-report")).await {
            let flat = squeeze(&text);
            assert!(flat.contains("关于2020年首都文明委重点工作项目台账完成情况的报告"), "{engine}:\n{text}");
            assert!(flat.contains(&format!("2020年台账共有{}个成员单位报送{}个工作项目", ledger_data.units, ledger_data.projects)), "{engine}:\n{text}");
            for class in &ledger_data.classes {
                assert!(flat.contains(&squeeze(&class.lead)), "{engine}: {}:\n{text}", class.lead);
            }
            for unit in &ledger_data.commended {
                assert!(flat.contains(&unit.name), "{engine}: commended {}:\n{text}", unit.name);
            }
            let tables = docx["tables"].as_array().unwrap();
            assert_eq!(tables[0].as_array().unwrap().len(), 1 + ledger_data.classes.len(), "{engine}");
        }

        // 督办单 of the demo's first supervision order.
        let order = store.supervision().orders(false, &gridline_store::OrderScope { visibility: gridline_store::Visibility::All, unit: None, places: false }, 10).await.unwrap().into_iter().min_by_key(|o| o.id).expect("the demo raises orders");
        let issued_order = app.issue_document(&supervisor, &DocumentRequest::SupervisionOrder { order: order.id }, &settings, &none, now).await.unwrap();
        let case = store.cases().get(order.target.parse().unwrap()).await.unwrap().unwrap();
        if let Some((text, _, pages)) = read_back(&app, issued_order.id, &format!("{engine}-supervision-order")).await {
            let flat = squeeze(&text);
            assert!(flat.contains(&format!("督办〔{year}〕1号")), "{engine}:\n{text}");
            assert!(flat.contains(&format!("第{}号案件", case.id)), "{engine}:\n{text}");
            assert_eq!(pages, 1, "{engine}");
        }

        // Bad input: nothing issued, no number taken.
        let before = app.issued_documents(&DocumentFilter { kind: None, text: None, limit: 500 }).await.unwrap().len();
        let untitled = DocumentRequest::Bulletin {
            articles: vec![ArticleInput { section: "工作动态".into(), title: " ".into(), body: "正文".into(), office: "综合协调处".into() }],
        };
        let err = app.issue_document(&supervisor, &untitled, &settings, &none, now).await.unwrap_err();
        assert_eq!(err.to_string(), "article 1 has an empty title", "{engine}");
        let empty_period = DocumentRequest::Notice { period: "2001-01".into(), level: "district".into(), bottom: None, comment: None };
        let err = app.issue_document(&supervisor, &empty_period, &settings, &none, now).await.unwrap_err();
        assert!(err.to_string().starts_with("no data for 2001 年 1 月各区的三率排名"), "{engine}: {err}");
        let unscored = DocumentRequest::HealthReport { region: chaoyang.into(), period: "2001-01".into() };
        let err = app.issue_document(&supervisor, &unscored, &settings, &none, now).await.unwrap_err();
        assert_eq!(err.to_string(), "no data for 朝阳区2001 年 1 月的测评得分; nothing was issued", "{engine}");
        let err = app.issue_document(&supervisor, &DocumentRequest::LedgerReport { year: 1999 }, &settings, &none, now).await.unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{engine}: no 1999 ledger: {err}");
        // A snapshot that is not the one previewed: refused, nothing issued.
        let previewed = app.preview_document(&supervisor, &bulletin, &settings, &none, Format::Pdf, now).await.unwrap();
        let stale = IssueOptions { expect_sha256: Some("0".repeat(64)), ..IssueOptions::default() };
        let err = app.issue_document(&supervisor, &bulletin, &settings, &stale, now).await.unwrap_err();
        assert!(err.to_string().contains("not the 000") && err.to_string().contains("nothing was issued"), "{engine}: {err}");
        let template = IssueOptions { template: Some(gridline_report::Template::builtin(gridline_report::Kind::Bulletin)), ..IssueOptions::default() };
        let mut broken = template.clone();
        if let Some(t) = broken.template.as_mut() {
            t.blocks.push(gridline_report::Block::Line { text: "签发人：{signer}".into(), style: Default::default(), align: Default::default(), red: false });
        }
        let err = app.issue_document(&supervisor, &bulletin, &settings, &broken, now).await.unwrap_err();
        assert!(err.to_string().contains("signer"), "{engine}: {err}");
        let after = app.issued_documents(&DocumentFilter { kind: None, text: None, limit: 500 }).await.unwrap();
        assert_eq!(after.len(), before, "{engine}: nothing issued");
        let exact = IssueOptions { expect_sha256: Some(previewed.snapshot_sha256.clone()), ..IssueOptions::default() };
        let third = app.issue_document(&supervisor, &bulletin, &settings, &exact, now).await.unwrap();
        assert_eq!(third.number, 3, "{engine}: the refusals took no number");
        assert_eq!(third.snapshot_sha256, previewed.snapshot_sha256, "{engine}: issued exactly what was previewed");

        // Search.
        let found = app.issued_documents(&DocumentFilter { kind: Some("notice".into()), text: Some("各区".into()), limit: 10 }).await.unwrap();
        assert_eq!(found.iter().map(|d| d.id).collect::<Vec<_>>(), [issued.id], "{engine}");

        // The CLI renders without issuing.
        let out = dir.path().join(format!("{engine}-preview.docx"));
        let output = Command::new(GRIDLINE)
            .args(["report", "notice", "--period", &period, "--level", "district", "--format", "docx", "--output"])
            .arg(&out)
            .args(["--database", &url])
            .env_remove("GRIDLINE_DATA_DIR")
            .env_remove("GRIDLINE_DATABASE")
            .output()
            .unwrap();
        assert!(output.status.success(), "{engine}: {}", String::from_utf8_lossy(&output.stderr));
        assert!(std::fs::read(&out).unwrap().starts_with(b"PK"), "{engine}: a DOCX is a zip");

        // A stored file altered behind gridline's back (its guard removed first) is refused.
        sqlx_tamper(&url, engine, third.id).await;
        let err = app.document_file(third.id, Format::Pdf).await.unwrap_err();
        assert!(matches!(err, AppError::Integrity(_)), "{engine}: {err}");
        assert!(err.to_string().contains("the stored pdf of document"), "{engine}: {err}");
        app.document_file(third.id, Format::Docx).await.expect("the DOCX is untouched");
        store.close().await;
    }
}

/// Drops the guard trigger and overwrites a document's PDF, as someone with the database could.
async fn sqlx_tamper(url: &str, engine: &str, id: i64) {
    let drop = if engine == "sqlite" { "DROP TRIGGER documents_never_change" } else { "DROP TRIGGER documents_never_change ON documents" };
    gridline_store::testing::execute(url, &[drop, &format!("UPDATE documents SET pdf = docx WHERE id = {id}")]).await;
}

/// 季点名 on a small registry of three 望京 alleys scored through 2025's first quarter: the notice
/// names them worst first with their means, months below 90, listing and 街巷长; a quarter not
/// over, or with no score, is refused and nothing is issued.
#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn the_quarters_worst_alleys_are_named_in_a_notice() {
    use gridline_core::actor::Role;
    use gridline_core::alley::{AlleyRules, FourHaves, Grade, NewAlley, Problem};
    use gridline_core::case::GeoPoint;
    use gridline_store::NewUser;

    const WANGJING: &str = "110105026000";
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let regions = Arc::new(gridline_geo::beijing());
        let app = App::new(store.clone(), regions.clone(), &Default::default()).await.unwrap();
        let now = Timestamp::now();
        let new = NewUser { username: "office".into(), display_name: "office".into(), role: Role::Supervisor, unit: None, password_hash: "!".into() };
        let office = store.people().create_user(&new, now).await.unwrap().actor();
        let (lat, lon) = regions.get(WANGJING).unwrap().label_point.unwrap();
        let rows = [("WJ-001", "望京测试一巷", Some("张建国")), ("WJ-002", "望京测试二巷", None), ("WJ-003", "望京测试三巷", Some("李秀英"))]
            .iter()
            .enumerate()
            .map(|(i, (code, name, chief))| {
                let lat = lat + 0.001 * i as f64;
                let alley = NewAlley {
                    code: (*code).into(),
                    name: (*name).into(),
                    line: vec![GeoPoint { lat, lon }, GeoPoint { lat, lon: lon + 0.002 }],
                    community: None,
                    grade: Grade::Fine,
                    unit: None,
                    four: FourHaves { chief: chief.map(Into::into), ..FourHaves::default() },
                    title_named_in: None,
                };
                (i + 2, Ok(alley))
            })
            .collect();
        let alleys = app.import_alleys(&office, rows, now).await.unwrap();
        // Failed clauses a month: 一巷 none (100), 二巷 three (85), 三巷 one (95) but three in March.
        let failed = |alley: usize, m: &str| -> usize {
            match (alley, m) {
                (0, _) => 0,
                (1, _) => 3,
                (2, "2025-03") => 3,
                _ => 1,
            }
        };
        let rules = AlleyRules::default();
        for m in ["2025-01", "2025-02", "2025-03"] {
            let day = Month::parse(m).unwrap().start().to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).date().saturating_add(jiff::Span::new().days(14));
            for (i, alley) in alleys.iter().enumerate() {
                let problems = ["N01", "N02", "N03"][..failed(i, m)].iter().map(|c| Problem { clause: (*c).into(), count: Some(1), note: None, case_id: None }).collect();
                app.record_alley_check(&office, alley.point.id, day, problems, now).await.unwrap();
            }
            app.evaluate_alley_month(&office, Month::parse(m).unwrap(), &rules, now).await.unwrap();
        }

        let settings = DocumentSettings::default();
        let none = IssueOptions::default();
        let request = DocumentRequest::AlleyRollcall { quarter: "2025-Q1".into(), region: Some("110105000000".into()) };
        let issued = app.issue_document(&office, &request, &settings, &none, now).await.unwrap();
        assert_eq!((issued.kind.as_str(), issued.number), ("alley_rollcall", 1), "{engine}");
        assert_eq!(squeeze(&issued.title), "关于2025年第一季度朝阳区背街小巷环境问题点名情况的通报", "{engine}");
        if let Some((text, docx, _)) = read_back(&app, issued.id, &format!("{engine}-alley-rollcall")).await {
            let flat = squeeze(&text);
            for expected in [
                "关于2025年第一季度朝阳区背街小巷环境问题点名情况的通报",
                // Means 100, 85, 91.67: 92.22; 二巷 and 三巷 below 90 in some month; 二巷 downgraded
                // in January and listed in February, 三巷 downgraded in March.
                "本季度朝阳区共有3条背街小巷参加月评，季度平均得分92.2；2条有月评低于90分，月评降级2次，新挂牌督办1条。",
                "1望京测试二巷朝阳区望京街道85.003是未设",
                "2望京测试三巷朝阳区望京街道91.671否李秀英",
                "3望京测试一巷朝阳区望京街道100.000否张建国",
                "二、挂牌督办中的背街小巷",
                "三、整改要求",
                "抄送：首都文明委委员",
            ] {
                assert!(flat.contains(expected), "{engine}: the 季点名 lacks {expected}:\n{text}");
            }
            let table = docx["tables"][0].as_array().unwrap();
            assert_eq!(table[1], serde_json::json!(["1", "望京测试二巷", "朝阳区", "望京街道", "85.00", "3", "是", "未设"]), "{engine}");
            // The alley listed in February is on the list of those under 挂牌督办, past its deadline.
            let listed = docx["tables"][1].as_array().unwrap();
            assert_eq!((listed.len(), &listed[1][0], &listed[1][2]), (2, &serde_json::json!("望京测试二巷"), &serde_json::json!("望京街道")), "{engine}: {listed:?}");
            assert!(listed[1][4].as_str().unwrap().ends_with("（已逾期）"), "{engine}: {listed:?}");
        }

        // Refused, nothing issued: a quarter not over, a quarter with no score, a bad quarter.
        let this_quarter = format!("{}-Q{}", Month::of(now).year(), (Month::of(now).number() - 1) / 3 + 1);
        for (quarter, message) in [
            (this_quarter.as_str(), "is not over until"),
            ("2001-Q1", "no alley of 全市 has a monthly score in 2001-Q1"),
            ("2025-Q5", "is not a quarter written YYYY-Qn"),
        ] {
            let request = DocumentRequest::AlleyRollcall { quarter: quarter.into(), region: None };
            let err = app.issue_document(&office, &request, &settings, &none, now).await.unwrap_err();
            assert!(matches!(&err, AppError::Domain(_)), "{engine}: {quarter}: {err:?}");
            assert!(err.to_string().contains(message), "{engine}: {quarter}: {err}");
        }
        let all = app.issued_documents(&DocumentFilter { kind: None, text: None, limit: 500 }).await.unwrap();
        assert_eq!(all.len(), 1, "{engine}: nothing issued by the refusals");
        store.close().await;
    }
}
