//! The two backends' migrations stay in step: the same numbered files, and the
//! same tables and columns once applied.

use portico_tests::TestApp;
use std::collections::BTreeSet;
use std::path::Path;

fn migration_names(backend: &str) -> BTreeSet<String> {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(backend);
    std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .flatten()
        .map(|entry| entry.file_name().to_string_lossy().into_owned())
        .filter(|name| name.ends_with(".sql"))
        .collect()
}

#[test]
fn both_backends_have_the_same_migrations() {
    let sqlite = migration_names("sqlite");
    let postgres = migration_names("postgres");
    assert!(!sqlite.is_empty());
    assert_eq!(sqlite, postgres, "every migration needs its twin in the other backend's folder");
}

#[tokio::test]
async fn both_backends_build_the_same_schema() {
    let Some(postgres) = TestApp::spawn_postgres().await else { return };
    let sqlite = TestApp::spawn().await;

    let on_sqlite = sqlite.server.state.db.schema_columns().await.unwrap();
    let on_postgres = postgres.server.state.db.schema_columns().await.unwrap();

    assert!(on_sqlite.contains(&("jobs".to_string(), "tenant_id".to_string())));
    let only_sqlite: Vec<_> = on_sqlite.difference(&on_postgres).collect();
    let only_postgres: Vec<_> = on_postgres.difference(&on_sqlite).collect();
    assert!(only_sqlite.is_empty() && only_postgres.is_empty(), "drift: SQLite only {only_sqlite:?}, PostgreSQL only {only_postgres:?}");
}
