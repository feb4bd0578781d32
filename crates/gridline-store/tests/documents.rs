//! Issued documents on both engines: numbering (第 N 期 per year, 总第 M 期 running on), never
//! reused or skipped, also when two servers issue at once on one database; a failed issue takes no
//! number; an issued document cannot be changed.

use gridline_core::actor::Role;
use gridline_store::testing::fresh_databases;
use gridline_store::{Composed, DocumentFilter, NewDocument, NewUser, Numbered, Store, StoreError};
use jiff::Timestamp;

fn now() -> Timestamp {
    "2024-11-04T02:00:00Z".parse().unwrap()
}

async fn issuer(store: &Store) -> i64 {
    let user = NewUser { username: "wmb".into(), display_name: "文明办".into(), role: Role::Supervisor, unit: None, password_hash: "x".into() };
    store.people().create_user(&user, now()).await.unwrap().id
}

fn new(kind: &str, year: i64, by: i64) -> NewDocument {
    NewDocument { kind: kind.into(), year, first_total: 2214, corrects: None, issued_by: by, issued_at: now() }
}

fn composed(n: Numbered) -> Result<Composed, StoreError> {
    Ok(Composed {
        title: format!("简报 第 {} 期", n.number),
        template: "builtin:bulletin".into(),
        snapshot: format!("{{\"number\":{},\"text\":\"背街小巷\"}}", n.number),
        snapshot_sha256: "s".into(),
        docx: vec![1, 2, 3],
        docx_sha256: "d".into(),
        pdf: b"%PDF".to_vec(),
        pdf_sha256: "p".into(),
    })
}

#[tokio::test]
async fn numbers_run_per_year_and_in_total_and_a_failed_issue_takes_none() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let by = issuer(&store).await;
        let docs = store.documents();
        let first = docs.issue(&new("bulletin", 2023, by), composed).await.unwrap();
        assert_eq!((first.year, first.number, first.total), (2023, 1, 2214), "{engine}: the series continues the paper one");
        let second = docs.issue(&new("bulletin", 2023, by), composed).await.unwrap();
        assert_eq!((second.number, second.total), (2, 2215), "{engine}");
        let failed = docs.issue(&new("bulletin", 2024, by), |_| Err(StoreError::Corrupt("the template names no such field".into()))).await;
        assert!(failed.is_err(), "{engine}");
        let third = docs.issue(&new("bulletin", 2024, by), composed).await.unwrap();
        assert_eq!((third.year, third.number, third.total), (2024, 1, 2216), "{engine}: a new year restarts 第 N 期, the failed issue took nothing");
        let other = docs.issue(&new("notice", 2024, by), composed).await.unwrap();
        assert_eq!((other.number, other.total), (1, 2214), "{engine}: each kind has its own series");

        assert_eq!(docs.get(second.id).await.unwrap().as_ref(), Some(&second), "{engine}");
        assert_eq!(docs.file(second.id, true).await.unwrap(), Some(b"%PDF".to_vec()), "{engine}");
        assert_eq!(docs.file(second.id, false).await.unwrap(), Some(vec![1, 2, 3]), "{engine}");
        let listed = docs.list(&DocumentFilter { kind: Some("bulletin".into()), text: None, limit: 10 }).await.unwrap();
        assert_eq!(listed.iter().map(|d| d.id).collect::<Vec<_>>(), [third.id, second.id, first.id], "{engine}: newest first");
        let found = docs.list(&DocumentFilter { kind: None, text: Some("第 2 期".into()), limit: 10 }).await.unwrap();
        assert_eq!(found.iter().map(|d| d.id).collect::<Vec<_>>(), [second.id], "{engine}: search by title");

        store.close().await;
    }
}

#[tokio::test]
async fn an_issued_document_cannot_be_changed_or_removed() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        let store = Store::open(&url).await.unwrap();
        let by = issuer(&store).await;
        let doc = store.documents().issue(&new("bulletin", 2024, by), composed).await.unwrap();
        store.close().await;
        sqlx::any::install_default_drivers();
        let pool = sqlx::AnyPool::connect(&url).await.unwrap();
        for sql in ["UPDATE documents SET title = '改' WHERE id = $1", "DELETE FROM documents WHERE id = $1"] {
            let err = sqlx::query(sql).bind(doc.id).execute(&pool).await.unwrap_err();
            assert!(err.to_string().contains("never changed"), "{engine}: {sql}: {err}");
        }
        pool.close().await;
    }
}

#[tokio::test(flavor = "multi_thread", worker_threads = 4)]
async fn two_servers_issuing_at_once_never_share_or_skip_a_number() {
    let dir = tempfile::tempdir().unwrap();
    for (engine, url) in fresh_databases(dir.path()).await {
        // Two stores on one database: two servers, each with its own pool.
        let a = Store::open(&url).await.unwrap();
        let b = Store::open(&url).await.unwrap();
        let by = issuer(&a).await;
        let mut tasks = Vec::new();
        for i in 0..24 {
            let store = if i % 2 == 0 { a.clone() } else { b.clone() };
            tasks.push(tokio::spawn(async move { store.documents().issue(&new("bulletin", 2024, by), composed).await.unwrap() }));
        }
        let mut numbers = Vec::new();
        for task in tasks {
            let doc = task.await.unwrap();
            numbers.push((doc.number, doc.total));
        }
        numbers.sort();
        let expected: Vec<(i64, i64)> = (1..=24).map(|n| (n, 2213 + n)).collect();
        assert_eq!(numbers, expected, "{engine}: every number once, none skipped");
        a.close().await;
        b.close().await;
    }
}
