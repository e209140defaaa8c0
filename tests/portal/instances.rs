//! Several host instances on one PostgreSQL behave as one portal.

use portico_sections::Grants;
use portico_tests::{hostile_plugin, TestCluster, Visitor};

#[tokio::test]
async fn a_client_journey_alternating_between_two_instances() {
    let Some(cluster) = TestCluster::spawn().await else { return };
    portico_tests::release_reports_on_publish(&cluster.first.state.db).await;
    let dana = Visitor::new();

    // The link is opened on the first instance; the session works on the second.
    let on_first = dana.get(&cluster.links.client).await;
    assert_eq!(on_first.status, 200);
    let on_second = dana.get(&cluster.on_second(&on_first.url)).await;
    assert_eq!(on_second.status, 200);
    assert!(on_second.url.starts_with(&cluster.second.base_url));

    // The report the first instance stored opens from the second.
    let report = on_second.href_containing("/documents/").expect("a report link");
    let pdf = dana.get(&format!("{}{report}", cluster.second.base_url)).await;
    assert_eq!(pdf.status, 200);
    assert!(pdf.body.starts_with("%PDF"));

    // Signed through the second instance, seen on the first.
    dana.sign(&on_second, "Dana Whitfield").await;
    let back_on_first = dana.get(&on_first.url).await.text();
    assert!(back_on_first.contains("Signed") && back_on_first.contains("Signed by Dana Whitfield"), "{back_on_first}");

    // A section disabled through one instance is gone from the other's page
    // as soon as the change's notification arrives (each instance keeps the
    // business's sections between requests), and from its own at once.
    let tenant = cluster.first.state.db.tenant_by_slug("keystone").await.unwrap().unwrap().id;
    cluster.first.state.db.tenant(&tenant).set_plugin_enabled("reports", false).await.unwrap();
    let without_reports = dana.get(&on_first.url).await.text();
    assert!(!without_reports.contains("View completed report"), "{without_reports}");
    let shown_on_second = |shown: bool| {
        let (dana, url) = (&dana, cluster.on_second(&on_first.url));
        async move { dana.get(&url).await.text().contains("View completed report") == shown }
    };
    assert!(soon(|| shown_on_second(false)).await, "the second instance stopped showing the disabled section");
    cluster.first.state.db.tenant(&tenant).set_plugin_enabled("reports", true).await.unwrap();
    assert!(soon(|| shown_on_second(true)).await, "and shows it again once enabled");

    // So does the business's own row: a new logo.
    cluster.first.state.db.tenant(&tenant).set_logo_url(Some("/files/logo-v2.png")).await.unwrap();
    let second_page = cluster.on_second(&on_first.url);
    assert!(soon(|| async { dana.get(&second_page).await.body.contains("/files/logo-v2.png") }).await, "the new logo shows on the second instance");

    // A plugin uploaded through the first instance runs on the second, which
    // loads the package from the database and compiles it into its own cache.
    let settings = serde_json::json!({ "mode": "markup" }).to_string();
    cluster
        .first
        .state
        .sections
        .install_upload(&tenant, hostile_plugin("portico-test-hostile"), Grants::Only(vec![]), &settings)
        .await
        .unwrap();
    let with_upload = dana.get(&cluster.on_second(&on_first.url)).await.text();
    assert!(with_upload.contains("Trouble") && with_upload.contains("<script>alert('owned')</script>"), "{with_upload}");

    // Each instance compiled its plugins into its own cache.
    for dir in &cluster.data_dirs {
        let cached = std::fs::read_dir(dir.join("compiled-plugins")).unwrap().count();
        assert!(cached >= 3, "{} holds {cached} compiled plugins", dir.display());
    }
}

/// Whether `check` holds within five seconds: for what another instance
/// hears of by notification, a moment after it happened.
async fn soon<F, Fut>(check: F) -> bool
where
    F: Fn() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    for _ in 0..50 {
        if check().await {
            return true;
        }
        tokio::time::sleep(std::time::Duration::from_millis(100)).await;
    }
    false
}
