//! The native backend: this build's sections compiled for the host and
//! called in-process, through the same host functions as their components
//! (the load benchmark's baseline; later, section authors' test harness).
//! Natively, a section must do exactly what it does in its sandbox.

use portico_tests::Visitor;

story! { async fn pages_rendered_by_native_sections_are_those_their_components_render(app) {
    let dana = Visitor::new();
    let job = dana.get(&app.links.client).await.job_path();
    let sam = Visitor::new();
    sam.get(&app.links.buyer_agent).await;
    let pages = [job.clone(), format!("{job}?tab=documents"), format!("{job}?tab=details")];
    let statements = dana.get(&app.url(&job)).await.statements;
    let mut sandboxed = Vec::new();
    for page in &pages {
        sandboxed.push((without_tokens(&dana.get(&app.url(page)).await.body), without_tokens(&sam.get(&app.url(page)).await.body)));
    }

    let native = app.server.state.sections.run_natively(&portico_native_sections::all()).unwrap();

    assert_eq!(native.len(), 14, "every first-party section: {native:?}");
    let tenant = app.demo_tenant_id().await;
    let active = app.server.state.sections.active(&tenant).await.unwrap();
    assert!(active.len() >= 8 && active.iter().all(|section| section.plugin.runs_natively()), "the business's sections run natively");
    assert_eq!(dana.get(&app.url(&job)).await.statements, statements, "natively the page runs the same statements");
    for (page, (client, agent)) in pages.iter().zip(&sandboxed) {
        same_page(&without_tokens(&dana.get(&app.url(page)).await.body), client, &format!("{page}, as the client"));
        same_page(&without_tokens(&sam.get(&app.url(page)).await.body), agent, &format!("{page}, as the buyer's agent"));
    }
}}

/// The page without its form tokens, which are masked afresh on every response.
fn without_tokens(body: &str) -> String {
    let mut kept = String::new();
    let mut rest = body;
    while let Some(at) = rest.find("csrf\" value=\"") {
        let value = at + "csrf\" value=\"".len();
        kept.push_str(&rest[..value]);
        rest = &rest[value..];
        rest = &rest[rest.find('"').unwrap_or(0)..];
    }
    kept.push_str(rest);
    kept
}

/// `native` is `sandboxed`, or the test says where they part.
fn same_page(native: &str, sandboxed: &str, what: &str) {
    if native != sandboxed {
        let at = native.chars().zip(sandboxed.chars()).take_while(|(a, b)| a == b).count();
        let around = |page: &str| page.chars().skip(at.saturating_sub(200)).take(400).collect::<String>();
        panic!("{what}: natively\n{}\n\nin the sandbox\n{}", around(native), around(sandboxed));
    }
}

story! { async fn a_native_section_acts_through_the_hosts_own_rules(app) {
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;
    let tenant = app.demo_tenant_id().await;
    let services = app.server.state.db.tenant(&tenant).add_on_services().await.unwrap();
    let sewer = format!("addon-{}", services.iter().find(|s| s.name == "Sewer scope").expect("a demo add-on").id);
    app.server.state.sections.run_natively(&portico_native_sections::all()).unwrap();

    let asked = dana.act(&page, "add-ons", "add-services", "request", &[(&sewer, "on")]).await;
    let again = dana.act(&page, "add-ons", "add-services", "request", &[(&sewer, "on")]).await;

    assert!(asked.text().contains("Sewer scope"), "{}", asked.text());
    assert!(again.text().contains("Sewer scope was already requested for this job."), "the host's rule holds: {}", again.text());
    assert_eq!(app.audit_count("add-on.requested").await, 1);
    app.server.state.sections.run_in_wasm();
    let sandboxed = dana.get(&app.url(&page.job_path())).await;
    assert!(sandboxed.text().contains("Sewer scope"), "what the native call did, the component sees: {}", sandboxed.text());
}}
