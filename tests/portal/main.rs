//! Portico's user stories, told through HTTP against an in-process server.
//!
//! Each `story!` runs twice: on SQLite, and on PostgreSQL (a database of its
//! own) when PORTICO_TEST_POSTGRES_URL is set.

/// Declare a story told on both backends; `$app` is a fresh `TestApp`.
/// Stories run on a multi-threaded runtime, as the server does in production:
/// on a single thread, a plugin burning its whole time slice delays the I/O
/// of the sections rendered beside it (the I/O driver is only polled between
/// tasks), which production does not do.
macro_rules! story {
    (async fn $name:ident($app:ident) $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn story($app: portico_tests::TestApp) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                story(portico_tests::TestApp::spawn().await).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                if let Some(app) = portico_tests::TestApp::spawn_postgres().await {
                    story(app).await
                }
            }
        }
    };
    // The same, with the configuration adjusted by `$configure` (given the
    // `Config` and whatever `$setup` made first, such as a stand-in server).
    (async fn $name:ident($app:ident, $extra:ident: $extra_type:ty) setup $setup:expr; configure $configure:expr; $body:block) => {
        mod $name {
            #[allow(unused_imports)]
            use super::*;

            async fn story($app: portico_tests::TestApp, $extra: $extra_type) $body

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_sqlite() {
                let extra = $setup.await;
                let app = portico_tests::TestApp::spawn_configured(|config| ($configure)(config, &extra)).await;
                story(app, extra).await
            }

            #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
            async fn on_postgres() {
                let extra = $setup.await;
                if let Some(app) = portico_tests::TestApp::spawn_postgres_configured(|config| ($configure)(config, &extra)).await {
                    story(app, extra).await
                }
            }
        }
    };
}

mod accessibility;
mod account;
mod account_billing;
mod account_hub;
mod batches;
mod add_ons;
mod agreements;
mod api;
mod branding;
mod checklists;
mod cleaning_demo;
mod compression;
mod console_home;
mod contract_versions;
mod conversations;
mod dead_ends;
mod estimates;
mod browser;
mod expired_links;
mod growth;
mod guests;
mod hardening;
mod hostile_plugins;
mod instances;
mod job_day;
mod job_portal;
mod job_tabs;
mod mail_delivery;
mod migrations;
mod moving_offers;
mod native_sections;
mod notifications;
mod object_storage;
mod operations;
mod page_cost;
mod payments;
mod preview;
mod properties;
mod repair_list;
mod requests;
mod running_jobs;
mod report_release;
mod stripe_payments;
mod section_management;
mod service_demo;
mod sign_in;
mod staff_console;
mod staff_links;
mod surfaces;
mod uploads;
mod webhooks;
