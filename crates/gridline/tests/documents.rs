//! Documents from the demo city, on every engine of `fresh_databases`: a 简报, the last month's
//! 通报 and a 督办单 issued through the application layer, downloaded (hash checked) and read
//! back by readers written elsewhere (pdftotext, python-docx); a correction; bad input refused
//! with nothing issued; a stored file altered behind gridline's back refused at download. The
//! first pages are rendered to PNG beside the output (`$CARGO_TARGET_TMPDIR/documents-demo/`).

use std::path::PathBuf;
use std::process::Command;
use std::sync::Arc;

use gridline_app::documents::{ArticleInput, DocumentRequest, DocumentSettings, ranking};
use gridline_app::{App, AppError};
use gridline_cli::report::demo_articles;
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
        let bulletin = DocumentRequest::Bulletin { articles: demo_articles(9) };
        let refused = app.issue_document(&operator, &bulletin, &settings, None, now).await.unwrap_err();
        assert!(matches!(refused, AppError::Domain(_)), "{engine}: an operator does not issue: {refused}");
        let first = app.issue_document(&supervisor, &bulletin, &settings, None, now).await.unwrap();
        assert_eq!((first.number, first.total), (1, 2214), "{engine}");
        let year = now.to_zoned(jiff::tz::TimeZone::get("Asia/Shanghai").unwrap()).year();
        if let Some((text, docx, pages)) = read_back(&app, first.id, &format!("{engine}-bulletin")).await {
            let flat = squeeze(&text);
            for expected in ["首都精神文明建设情况简报", "第1期", "（总第2214期）", "【重要会议】", "全市文明城区创建月度调度会召开", "（综合协调处）", "责编：梅雪峰", "发：各区委书记"] {
                assert!(flat.contains(expected), "{engine}: the 简报 lacks {expected}:\n{text}");
            }
            assert!(flat.contains(&format!("{year}年")), "{engine}: dated this year");
            assert!(pages >= 4, "{engine}: the demo 简报 is four pages, got {pages}");
            assert!(docx["east_asia_fonts"].as_array().unwrap().iter().any(|f| f == "仿宋_GB2312"), "{engine}: {docx}");
        }

        // A correction names the document it corrects and takes the next number.
        let correction = app.issue_document(&supervisor, &bulletin, &settings, Some(first.id), now).await.unwrap();
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
        let issued = app.issue_document(&supervisor, &notice, &settings, None, now).await.unwrap();
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
        }

        // 督办单 of the demo's first supervision order.
        let order = store.supervision().orders(false, &gridline_store::OrderScope { visibility: gridline_store::Visibility::All, unit: None, places: false }, 10).await.unwrap().into_iter().min_by_key(|o| o.id).expect("the demo raises orders");
        let issued_order = app.issue_document(&supervisor, &DocumentRequest::SupervisionOrder { order: order.id }, &settings, None, now).await.unwrap();
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
        let err = app.issue_document(&supervisor, &untitled, &settings, None, now).await.unwrap_err();
        assert_eq!(err.to_string(), "article 1 has an empty title", "{engine}");
        let empty_period = DocumentRequest::Notice { period: "2001-01".into(), level: "district".into(), bottom: None, comment: None };
        let err = app.issue_document(&supervisor, &empty_period, &settings, None, now).await.unwrap_err();
        assert!(matches!(err, AppError::NotFound(_)), "{engine}: {err}");
        let after = app.issued_documents(&DocumentFilter { kind: None, text: None, limit: 500 }).await.unwrap();
        assert_eq!(after.len(), before, "{engine}: nothing issued");
        let third = app.issue_document(&supervisor, &bulletin, &settings, None, now).await.unwrap();
        assert_eq!(third.number, 3, "{engine}: the refusals took no number");

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
