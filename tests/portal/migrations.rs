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

/// Migrate `url` to just before migration `next`, with the files of `backend`.
async fn migrate_before(pool: &sqlx::AnyPool, backend: &str, next: &str) {
    let source = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(backend);
    let earlier = tempfile::tempdir().unwrap();
    for name in migration_names(backend).into_iter().filter(|name| name.as_str() < next) {
        std::fs::copy(source.join(&name), earlier.path().join(&name)).unwrap();
    }
    sqlx::migrate::Migrator::new(earlier.path()).await.unwrap().run(pool).await.unwrap();
}

/// Jobs made before properties were shared, each with a property of its
/// own: after migration 0023 the jobs at one address (however its case and
/// surrounding spaces were typed) share one property, and the others are gone.
async fn properties_of_one_address_are_merged(url: &str, backend: &str) {
    sqlx::any::install_default_drivers();
    let pool = sqlx::AnyPool::connect(url).await.unwrap();
    migrate_before(&pool, backend, "0023").await;
    sqlx::query("INSERT INTO tenants (id, slug, name, created_at) VALUES ('t1', 'one', 'One', 0), ('t2', 'two', 'Two', 0)").execute(&pool).await.unwrap();
    for (id, tenant, line1, postal) in [("p1", "t1", "14 Harbor Way", "62701"), ("p2", "t1", " 14 HARBOR WAY ", "62701"), ("p3", "t1", "3 Mill Road", "62701"), ("p4", "t2", "14 Harbor Way", "62701")] {
        sqlx::query("INSERT INTO properties (id, tenant_id, line1, city, region, postal_code) VALUES ($1, $2, $3, 'Springfield', 'IL', $4)")
            .bind(id).bind(tenant).bind(line1).bind(postal).execute(&pool).await.unwrap();
    }
    for (id, tenant, property) in [("j1", "t1", "p1"), ("j2", "t1", "p2"), ("j3", "t1", "p3"), ("j4", "t2", "p4")] {
        sqlx::query("INSERT INTO jobs (id, tenant_id, property_id, reference, created_at) VALUES ($1, $2, $3, $1, 0)")
            .bind(id).bind(tenant).bind(property).execute(&pool).await.unwrap();
    }

    let full = Path::new(env!("CARGO_MANIFEST_DIR")).join("../migrations").join(backend);
    sqlx::migrate::Migrator::new(full).await.unwrap().run(&pool).await.unwrap();

    let jobs: Vec<(String, String)> = sqlx::query_as("SELECT id, property_id FROM jobs ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(jobs, [("j1", "p1"), ("j2", "p1"), ("j3", "p3"), ("j4", "p4")].map(|(j, p)| (j.to_string(), p.to_string())), "one property per address and business");
    let keys: Vec<(String, String)> = sqlx::query_as("SELECT id, address_key FROM properties ORDER BY id").fetch_all(&pool).await.unwrap();
    assert_eq!(keys.len(), 3, "the emptied property is gone: {keys:?}");
    for (id, key) in &keys {
        let (line1, postal): (String, String) = sqlx::query_as("SELECT line1, postal_code FROM properties WHERE id = $1").bind(id).fetch_one(&pool).await.unwrap();
        assert_eq!(*key, portico_core::model::address_key(&line1, &postal), "the migration's key is the host's");
    }
    pool.close().await;
}

#[tokio::test]
async fn jobs_at_one_address_share_a_property_after_the_upgrade_on_sqlite() {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}?mode=rwc", dir.path().join("upgrade.db").display());
    properties_of_one_address_are_merged(&url, "sqlite").await;
}

#[tokio::test]
async fn jobs_at_one_address_share_a_property_after_the_upgrade_on_postgres() {
    let Ok(admin_url) = std::env::var(portico_tests::POSTGRES_URL_VAR) else {
        eprintln!("skipped: {} is not set", portico_tests::POSTGRES_URL_VAR);
        return;
    };
    use sqlx::Connection;
    let name = format!("portico_upgrade_{}", std::process::id());
    let mut admin = sqlx::PgConnection::connect(&admin_url).await.unwrap();
    sqlx::query(&format!("DROP DATABASE IF EXISTS {name}")).execute(&mut admin).await.unwrap();
    sqlx::query(&format!("CREATE DATABASE {name}")).execute(&mut admin).await.unwrap();
    let mut url = url::Url::parse(&admin_url).unwrap();
    url.set_path(&name);
    properties_of_one_address_are_merged(url.as_str(), "postgres").await;
    sqlx::query(&format!("DROP DATABASE {name}")).execute(&mut admin).await.unwrap();
}
