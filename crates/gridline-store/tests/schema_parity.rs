//! The two engines' migrations must define the same schema: the same tables, columns (by kind and
//! nullability), primary keys, foreign keys, unique constraints and indexes. Each engine has its own
//! migrations folder, so nothing else notices when a change is made to one and forgotten in the other.
//!
//! Each engine's schema (sqlx's own `_sqlx_migrations` left out) is read into a map from a fact's
//! name ("column cases.region") to what it is ("text null"); the difference of the two maps is the
//! report.

use std::collections::BTreeMap;

use gridline_store::Store;
use gridline_store::testing::fresh_databases;
use sqlx::any::AnyRow;
use sqlx::{AnyConnection, Connection, Row};

/// A schema as facts: name → description. Names mention table and columns, so that engines whose
/// index or constraint names differ still compare equal.
type Schema = BTreeMap<String, String>;

/// Records a fact; a second fact of the same name (two indexes on the same columns) is kept beside
/// the first rather than hiding it.
fn note(schema: &mut Schema, name: String, what: String) {
    schema.entry(name).and_modify(|earlier| *earlier = format!("{earlier}; {what}")).or_insert(what);
}

/// The kind of a column as both engines can hold it. SQLite's follows its type-affinity rules on
/// the declared type; PostgreSQL's integer widths all read as one integer.
fn column_kind(declared: &str) -> &'static str {
    let t = declared.to_ascii_lowercase();
    if t.contains("bool") {
        "boolean"
    } else if t.contains("timestamp") || t.contains("date") || t.contains("time") {
        "timestamp"
    } else if t.contains("int") || t == "bigserial" || t == "serial" {
        "integer"
    } else if t.contains("char") || t.contains("text") || t.contains("clob") {
        "text"
    } else if t.contains("real") || t.contains("floa") || t.contains("doub") || t.contains("numeric") {
        "real"
    } else if t.contains("blob") || t == "bytea" || t.is_empty() {
        "blob"
    } else {
        "other"
    }
}

/// A partial index's predicate, written the same on both engines: PostgreSQL prints
/// `(active = 1)` for what SQLite keeps as `active = 1`, and `status <> ALL (ARRAY['a'::text,
/// 'b'::text])` for `status NOT IN ('a', 'b')`.
fn predicate(text: &str) -> String {
    let words = text.split_whitespace().collect::<Vec<_>>().join(" ").to_ascii_lowercase();
    let words = match words.strip_prefix('(').and_then(|w| w.strip_suffix(')')) {
        Some(inner) => inner.to_owned(),
        None => words,
    };
    match words.split_once(" <> all (array[").and_then(|(column, rest)| Some((column, rest.strip_suffix("])")?))) {
        Some((column, list)) => format!("{column} not in ({})", list.replace("::text", "")),
        None => words,
    }
}

/// The facts of one index or unique constraint, shared by both readers.
fn note_index(schema: &mut Schema, table: &str, columns: &str, unique: bool, constraint: bool, predicate_text: Option<&str>) {
    let name = if constraint {
        format!("unique constraint {table} ({columns})")
    } else {
        format!("index {table} ({columns})")
    };
    let mut what = if unique { "unique".to_owned() } else { "not unique".to_owned() };
    if let Some(p) = predicate_text {
        what.push_str(&format!(" where {}", predicate(p)));
    }
    note(schema, name, what);
}

/// A foreign key, its actions spelled as SQL spells them in lower case ("no action").
struct ForeignKey {
    columns: Vec<String>,
    target: String,
    target_columns: Vec<String>,
    on_update: String,
    on_delete: String,
}

impl ForeignKey {
    fn note(&self, schema: &mut Schema, table: &str) {
        note(
            schema,
            format!("foreign key {table} ({})", self.columns.join(", ")),
            format!(
                "references {} ({}) on update {} on delete {}",
                self.target,
                self.target_columns.join(", "),
                self.on_update,
                self.on_delete
            ),
        );
    }
}

fn text(row: &AnyRow, column: usize) -> String {
    row.try_get::<String, _>(column).expect("a text column")
}

fn optional_text(row: &AnyRow, column: usize) -> Option<String> {
    row.try_get::<Option<String>, _>(column).expect("a text column")
}

async fn rows(conn: &mut AnyConnection, sql: &'static str) -> Vec<AnyRow> {
    sqlx::query(sql).fetch_all(conn).await.unwrap_or_else(|e| panic!("{e}: {sql}"))
}

async fn sqlite_schema(conn: &mut AnyConnection) -> Schema {
    let mut schema = Schema::new();
    // Rowid tables let a non-integer primary key hold NULL (an old SQLite bug kept for
    // compatibility); the schema means them as NOT NULL, as PostgreSQL makes every key column.
    let columns = rows(
        conn,
        "SELECT m.name, c.name, c.type, c.\"notnull\" OR c.pk > 0 AS not_null, c.pk
         FROM sqlite_master m JOIN pragma_table_info(m.name) c
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations'
         ORDER BY m.name, c.pk, c.cid",
    )
    .await;
    let mut keys: BTreeMap<String, Vec<String>> = BTreeMap::new();
    for row in &columns {
        let (table, column) = (text(row, 0), text(row, 1));
        let not_null = row.try_get::<i64, _>(3).expect("not_null") != 0;
        let nullability = if not_null { "not null" } else { "null" };
        schema.insert(format!("table {table}"), String::new());
        note(&mut schema, format!("column {table}.{column}"), format!("{} {nullability}", column_kind(&text(row, 2))));
        if row.try_get::<i64, _>(4).expect("pk") > 0 {
            keys.entry(table).or_default().push(column);
        }
    }
    for (table, columns) in keys {
        note(&mut schema, format!("primary key {table}"), format!("({})", columns.join(", ")));
    }

    let foreign_keys = rows(
        conn,
        "SELECT m.name, f.id, f.\"from\", f.\"table\",
                COALESCE(f.\"to\", (SELECT p.name FROM pragma_table_info(f.\"table\") p WHERE p.pk = f.seq + 1)),
                lower(f.on_update), lower(f.on_delete)
         FROM sqlite_master m JOIN pragma_foreign_key_list(m.name) f
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%'
         ORDER BY m.name, f.id, f.seq",
    )
    .await;
    // One foreign key spans as many rows as it has columns.
    let mut by_id: BTreeMap<(String, i64), ForeignKey> = BTreeMap::new();
    for row in &foreign_keys {
        let key = (text(row, 0), row.try_get::<i64, _>(1).expect("id"));
        let fk = by_id.entry(key).or_insert_with(|| ForeignKey {
            columns: vec![],
            target: text(row, 3),
            target_columns: vec![],
            on_update: text(row, 5),
            on_delete: text(row, 6),
        });
        fk.columns.push(text(row, 2));
        fk.target_columns.push(text(row, 4));
    }
    for ((table, _), fk) in by_id {
        fk.note(&mut schema, &table);
    }

    let indexes = rows(
        conn,
        "SELECT m.name, i.name, i.\"unique\", i.origin,
                (SELECT group_concat(name, ', ') FROM (SELECT c.name FROM pragma_index_info(i.name) c ORDER BY c.seqno)),
                (SELECT s.sql FROM sqlite_master s WHERE s.type = 'index' AND s.name = i.name AND i.partial)
         FROM sqlite_master m JOIN pragma_index_list(m.name) i
         WHERE m.type = 'table' AND m.name NOT LIKE 'sqlite_%' AND m.name <> '_sqlx_migrations' AND i.origin <> 'pk'",
    )
    .await;
    for row in &indexes {
        let unique = row.try_get::<i64, _>(2).expect("unique") != 0;
        let sql = optional_text(row, 5);
        // The predicate is what follows the last WHERE of the CREATE INDEX statement.
        let where_clause = sql.as_deref().map(|sql| {
            let at = sql.to_ascii_uppercase().rfind("WHERE").expect("a partial index has a WHERE");
            sql[at + "WHERE".len()..].trim().trim_end_matches(';').to_owned()
        });
        note_index(&mut schema, &text(row, 0), &text(row, 4), unique, text(row, 3) == "u", where_clause.as_deref());
    }
    schema
}

async fn postgres_schema(conn: &mut AnyConnection) -> Schema {
    let mut schema = Schema::new();
    let columns = rows(
        conn,
        "SELECT c.table_name::text, c.column_name::text, c.data_type::text, c.is_nullable::text
         FROM information_schema.columns c
         JOIN information_schema.tables t ON t.table_schema = c.table_schema AND t.table_name = c.table_name
         WHERE c.table_schema = current_schema() AND t.table_type = 'BASE TABLE' AND c.table_name <> '_sqlx_migrations'",
    )
    .await;
    for row in &columns {
        let table = text(row, 0);
        let nullability = if text(row, 3) == "YES" { "null" } else { "not null" };
        schema.insert(format!("table {table}"), String::new());
        note(&mut schema, format!("column {table}.{}", text(row, 1)), format!("{} {nullability}", column_kind(&text(row, 2))));
    }

    let action = |code: &str| match code {
        "r" => "restrict",
        "c" => "cascade",
        "n" => "set null",
        "d" => "set default",
        _ => "no action",
    };
    let constraints = rows(
        conn,
        "SELECT t.relname::text, con.contype::text,
                (SELECT string_agg(a.attname::text, ', ' ORDER BY k.n) FROM unnest(con.conkey) WITH ORDINALITY k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = con.conrelid AND a.attnum = k.attnum),
                r.relname::text,
                (SELECT string_agg(a.attname::text, ', ' ORDER BY k.n) FROM unnest(con.confkey) WITH ORDINALITY k(attnum, n)
                 JOIN pg_attribute a ON a.attrelid = con.confrelid AND a.attnum = k.attnum),
                con.confupdtype::text, con.confdeltype::text
         FROM pg_constraint con
         JOIN pg_class t ON t.oid = con.conrelid
         LEFT JOIN pg_class r ON r.oid = con.confrelid
         WHERE t.relnamespace = current_schema()::regnamespace AND con.contype IN ('p', 'u', 'f')
           AND t.relname <> '_sqlx_migrations'",
    )
    .await;
    for row in &constraints {
        let (table, kind, columns) = (text(row, 0), text(row, 1), text(row, 2));
        match kind.as_str() {
            "p" => note(&mut schema, format!("primary key {table}"), format!("({columns})")),
            "u" => note_index(&mut schema, &table, &columns, true, true, None),
            _ => ForeignKey {
                columns: vec![columns],
                target: text(row, 3),
                target_columns: vec![text(row, 4)],
                on_update: action(&text(row, 5)).to_owned(),
                on_delete: action(&text(row, 6)).to_owned(),
            }
            .note(&mut schema, &table),
        }
    }

    // Indexes of their own, not those behind a primary key or unique constraint.
    let indexes = rows(
        conn,
        "SELECT t.relname::text, ix.indisunique,
                (SELECT string_agg(COALESCE(a.attname::text, 'expression'), ', ' ORDER BY k.n)
                 FROM unnest(ix.indkey::int2[]) WITH ORDINALITY k(attnum, n)
                 LEFT JOIN pg_attribute a ON a.attrelid = ix.indrelid AND a.attnum = k.attnum),
                pg_get_expr(ix.indpred, ix.indrelid)
         FROM pg_index ix
         JOIN pg_class t ON t.oid = ix.indrelid
         WHERE t.relnamespace = current_schema()::regnamespace AND t.relname <> '_sqlx_migrations'
           AND NOT EXISTS (SELECT 1 FROM pg_constraint c WHERE c.conindid = ix.indexrelid AND c.contype IN ('p', 'u', 'x'))",
    )
    .await;
    for row in &indexes {
        let unique = row.try_get::<bool, _>(1).expect("indisunique");
        note_index(&mut schema, &text(row, 0), &text(row, 2), unique, false, optional_text(row, 3).as_deref());
    }
    schema
}

/// Every way `sqlite` and `postgres` differ, one plain sentence each.
fn differences(sqlite: &Schema, postgres: &Schema) -> Vec<String> {
    let mut found = Vec::new();
    for (name, s) in sqlite {
        match postgres.get(name) {
            None => found.push(format!("{name} {s}: only on SQLite").replace("  ", " ")),
            Some(p) if p != s => found.push(format!("{name}: SQLite has {s}, PostgreSQL has {p}")),
            Some(_) => {}
        }
    }
    for (name, p) in postgres {
        if !sqlite.contains_key(name) {
            found.push(format!("{name} {p}: only on PostgreSQL").replace("  ", " "));
        }
    }
    found
}

async fn migrated_schema(engine: &str, url: &str) -> Schema {
    Store::open(url).await.unwrap_or_else(|e| panic!("{engine}: {e}")).close().await;
    let mut conn = AnyConnection::connect(url).await.unwrap_or_else(|e| panic!("{engine}: {e}"));
    let schema = match engine {
        "sqlite" => sqlite_schema(&mut conn).await,
        _ => postgres_schema(&mut conn).await,
    };
    let _ = conn.close().await;
    schema
}

#[tokio::test]
async fn both_engines_migrations_define_the_same_schema() {
    let dir = tempfile::tempdir().unwrap();
    let mut schemas = BTreeMap::new();
    for (engine, url) in fresh_databases(dir.path()).await {
        schemas.insert(engine, migrated_schema(engine, &url).await);
    }
    let sqlite = &schemas["sqlite"];
    // The reader sees what the migrations made, whichever engines ran.
    assert_eq!(sqlite.get("primary key case_events").map(String::as_str), Some("(case_id, seq)"));
    assert_eq!(sqlite.get("index cases (status, id)").map(String::as_str), Some("not unique"));
    let Some(postgres) = schemas.get("postgres") else { return };
    assert!(postgres.len() > 100, "PostgreSQL's schema was read: {postgres:#?}");
    let found = differences(sqlite, postgres);
    assert!(found.is_empty(), "the SQLite and PostgreSQL migrations differ:\n  {}", found.join("\n  "));
}

#[test]
fn a_missing_index_and_a_differing_column_kind_are_reported() {
    let mut sqlite = Schema::new();
    note(&mut sqlite, "column cases.deadline".into(), format!("{} null", column_kind("INTEGER")));
    note_index(&mut sqlite, "cases", "deadline", false, false, Some("deadline IS NOT NULL"));
    note_index(&mut sqlite, "listings", "kind, target", true, false, Some("delisted_at IS NULL"));
    let mut postgres = Schema::new();
    note(&mut postgres, "column cases.deadline".into(), format!("{} null", column_kind("timestamp with time zone")));
    note_index(&mut postgres, "listings", "kind, target", true, false, Some("(delisted_at IS NULL)"));
    assert_eq!(
        differences(&sqlite, &postgres),
        [
            "column cases.deadline: SQLite has integer null, PostgreSQL has timestamp null",
            "index cases (deadline) not unique where deadline is not null: only on SQLite",
        ]
    );
}

#[test]
fn column_kinds_and_nullability_are_compared_by_meaning_not_spelling() {
    for (sqlite, postgres) in [("INTEGER", "bigint"), ("TEXT", "character varying"), ("REAL", "double precision"), ("BLOB", "bytea"), ("BOOLEAN", "boolean"), ("DATETIME", "timestamp without time zone")] {
        assert_eq!(column_kind(sqlite), column_kind(postgres), "{sqlite} and {postgres}");
    }
    assert_ne!(column_kind("INTEGER"), column_kind("text"));
    let one = |what: &str| Schema::from([("column users.unit_code".to_owned(), what.to_owned())]);
    assert_eq!(
        differences(&one("text null"), &one("text not null")),
        ["column users.unit_code: SQLite has text null, PostgreSQL has text not null"]
    );
    let unique = |constraint| {
        let mut s = Schema::new();
        note_index(&mut s, "users", "username", true, constraint, None);
        s
    };
    assert_eq!(differences(&unique(true), &unique(false)).len(), 2, "a unique constraint is not an index");
}
