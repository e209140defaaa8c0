//! Files on S3-compatible object storage, against moto's S3 server on loopback
//! (`pip install 'moto[server]'`; .ci/run installs it). Skipped, saying so,
//! where moto_server is missing, unless PORTICO_REQUIRE_S3=1.

use portico_data::files::{FileError, FileStore, S3Settings};
use portico_tests::{TestApp, Visitor};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

struct S3Server {
    process: Child,
    endpoint: String,
}

impl Drop for S3Server {
    fn drop(&mut self) {
        let _ = self.process.kill();
        let _ = self.process.wait();
    }
}

impl S3Server {
    /// A fresh moto S3 server with one empty bucket, or `None` when moto is missing.
    async fn start(bucket: &str) -> Option<S3Server> {
        let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
        let spawned = Command::new("moto_server")
            .args(["-H", "127.0.0.1", "-p", &port.to_string()])
            .stdout(Stdio::null())
            .stderr(Stdio::null())
            .spawn();
        let process = match spawned {
            Ok(process) => process,
            Err(error) => {
                if std::env::var("PORTICO_REQUIRE_S3").is_ok_and(|v| v == "1") {
                    panic!("PORTICO_REQUIRE_S3=1 but moto_server does not start: {error}");
                }
                eprintln!("SKIPPED S3 story: moto_server is not installed (pip install 'moto[server]')");
                return None;
            }
        };
        let server = S3Server { process, endpoint: format!("http://127.0.0.1:{port}") };
        let http = reqwest::Client::new();
        for _ in 0..100 {
            // moto accepts unsigned requests: create the bucket directly.
            if let Ok(response) = http.put(format!("{}/{bucket}", server.endpoint)).send().await {
                assert!(response.status().is_success(), "creating the bucket: {}", response.status());
                return Some(server);
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("moto_server did not answer on {}", server.endpoint);
    }

    fn settings(&self) -> S3Settings {
        S3Settings {
            endpoint: Some(self.endpoint.clone()),
            region: Some("us-east-1".into()),
            access_key_id: Some("portico-test".into()),
            secret_access_key: Some("portico-test-secret".into()),
            allow_http: true,
        }
    }
}

#[tokio::test]
async fn files_round_trip_through_an_s3_bucket() {
    let Some(s3) = S3Server::start("portico-files").await else { return };
    let store = FileStore::s3("s3://portico-files/instance-a", &s3.settings()).unwrap();

    store.put("tenant/report.pdf", b"%PDF-1.4 on s3").await.unwrap();

    assert_eq!(store.get("tenant/report.pdf").await.unwrap(), b"%PDF-1.4 on s3");
    assert!(matches!(store.get("tenant/missing.pdf").await, Err(FileError::NotFound(_))));
    assert!(matches!(store.put("../escape", b"x").await, Err(FileError::BadKey(_))));
}

#[tokio::test]
async fn the_portal_serves_reports_kept_in_s3() {
    let Some(s3) = S3Server::start("portico-reports").await else { return };
    let settings = s3.settings();
    let app = TestApp::spawn_configured(|config| {
        config.files = Some("s3://portico-reports/demo".into());
        config.s3 = settings;
    })
    .await;
    app.release_reports_on_publish().await;
    let dana = Visitor::new();
    let page = dana.get(&app.links.client).await;

    let report = dana.get(&app.url(&page.href_containing("/documents/").expect("a report link"))).await;

    assert_eq!(report.status, 200);
    assert!(report.body.starts_with("%PDF-1.4"));
    assert!(!app.data_dir().join("files").exists(), "nothing was written to the local directory");
}
