//! Mail is written to the outbox first and delivered by every instance's
//! worker, once, over SMTP; an SMTP outage delays it and loses nothing.

use portico_web::app::Config;
use portico_services::mail::{MailConfig, RetryPolicy};
use portico_tests::{SmtpSink, TestApp, TestCluster};
use std::time::Duration;

fn deliver_to(sink_url: String) -> impl Fn(&mut Config) {
    move |config: &mut Config| {
        config.mail = Some(MailConfig { smtp_url: sink_url.clone(), from: "Keystone <office@keystone.example>".into() });
        config.mail_retry = RetryPolicy {
            first_delay_seconds: 1,
            idle_poll: Duration::from_millis(100),
            ..RetryPolicy::default()
        };
    }
}

fn message(subject: &str) -> String {
    serde_json::json!({ "subject": subject, "body": "Your inspection report is ready." }).to_string()
}

#[tokio::test]
async fn queued_mail_reaches_the_smtp_server() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_configured(deliver_to(sink.url())).await;
    let tenant = app.demo_tenant_id().await;

    app.server.state.db.tenant(&tenant).enqueue_mail("dana.whitfield@example.com", "message", &message("Report ready")).await.unwrap();

    let received = sink.wait_for(1).await;
    assert_eq!(received.len(), 1);
    assert!(received[0].contains("Subject: Report ready"), "{}", received[0]);
    assert!(received[0].contains("To: dana.whitfield@example.com"));
    assert!(received[0].contains("Your inspection report is ready."));
    assert!(received[0].contains("multipart/alternative"), "text and HTML: {}", received[0]);
    let html_part = &received[0][received[0].find("Content-Type: text/html").expect("an HTML part")..];
    assert!(received[0].find("Content-Type: text/plain").unwrap() < received[0].find("Content-Type: text/html").unwrap(), "plain text first");
    assert!(unfold_quoted_printable(html_part).contains("Your inspection report is ready."), "{html_part}");
    assert_eq!(app.server.state.db.tenant(&tenant).outbox_count("sent").await.unwrap(), 1);
}

/// A quoted-printable body as its reader sees it (soft line breaks joined,
/// `=XX` decoded; enough for ASCII text).
fn unfold_quoted_printable(body: &str) -> String {
    let joined = body.replace("=\r\n", "").replace("=\n", "");
    let mut out = String::new();
    let mut rest = joined.as_str();
    while let Some(at) = rest.find('=') {
        out.push_str(&rest[..at]);
        match u8::from_str_radix(rest.get(at + 1..at + 3).unwrap_or(""), 16) {
            Ok(byte) => {
                out.push(byte as char);
                rest = &rest[at + 3..];
            }
            Err(_) => {
                out.push('=');
                rest = &rest[at + 1..];
            }
        }
    }
    out.push_str(rest);
    out
}

#[tokio::test]
async fn an_smtp_outage_delays_mail_but_loses_none() {
    // A port nobody listens on yet.
    let port = std::net::TcpListener::bind("127.0.0.1:0").unwrap().local_addr().unwrap().port();
    let app = TestApp::spawn_configured(deliver_to(format!("smtp://127.0.0.1:{port}"))).await;
    let tenant = app.demo_tenant_id().await;
    let db = &app.server.state.db;
    db.tenant(&tenant).enqueue_mail("dana.whitfield@example.com", "message", &message("Agreement signed")).await.unwrap();

    tokio::time::sleep(Duration::from_millis(800)).await;
    assert_eq!(db.tenant(&tenant).outbox_count("queued").await.unwrap(), 1, "still queued while SMTP is down");

    let sink = SmtpSink::start_on(port).await;
    let received = sink.wait_for(1).await;

    assert_eq!(received.len(), 1, "delivered once SMTP is back");
    assert_eq!(db.tenant(&tenant).outbox_count("sent").await.unwrap(), 1);
}

#[tokio::test]
async fn mail_with_an_unknown_template_fails_for_good_instead_of_retrying() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_configured(deliver_to(sink.url())).await;
    let tenant = app.demo_tenant_id().await;
    let db = &app.server.state.db;

    db.tenant(&tenant).enqueue_mail("dana.whitfield@example.com", "no-such-template", "{}").await.unwrap();
    db.tenant(&tenant).enqueue_mail("dana.whitfield@example.com", "message", &message("After the bad one")).await.unwrap();

    let received = sink.wait_for(1).await;
    assert_eq!(received.len(), 1, "the good message still goes out");
    for _ in 0..50 {
        if db.tenant(&tenant).outbox_count("failed").await.unwrap() == 1 {
            break;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
    assert_eq!(db.tenant(&tenant).outbox_count("failed").await.unwrap(), 1);
}

#[tokio::test]
async fn two_instances_deliver_each_message_exactly_once() {
    let sink = SmtpSink::start().await;
    let Some(cluster) = TestCluster::spawn_configured(deliver_to(sink.url())).await else { return };
    let tenant = cluster.first.state.db.tenant_by_slug("keystone").await.unwrap().unwrap().id;

    for n in 0..40 {
        let db = if n % 2 == 0 { &cluster.first.state.db } else { &cluster.second.state.db };
        db.tenant(&tenant).enqueue_mail("dana.whitfield@example.com", "message", &message(&format!("Update {n}"))).await.unwrap();
    }

    let received = sink.wait_for(40).await;
    // Give both workers several more polls to send anything twice.
    tokio::time::sleep(Duration::from_millis(1500)).await;
    let received_after = sink.messages();

    assert_eq!(received.len(), 40);
    assert_eq!(received_after.len(), 40, "no message was sent twice");
    let mut subjects: Vec<String> = received_after
        .iter()
        .filter_map(|m| m.lines().find(|l| l.starts_with("Subject: ")).map(str::to_string))
        .collect();
    subjects.sort();
    subjects.dedup();
    assert_eq!(subjects.len(), 40, "forty different messages");
    assert_eq!(cluster.first.state.db.tenant(&tenant).outbox_count("sent").await.unwrap(), 40);
}

#[tokio::test]
async fn a_magic_link_travels_through_smtp_and_signs_the_client_in() {
    let sink = SmtpSink::start().await;
    let app = TestApp::spawn_configured(deliver_to(sink.url())).await;
    let dana = portico_tests::Visitor::new();
    let form = dana.get(&app.url("/t/keystone/signin")).await;
    let csrf = form.hidden("csrf").unwrap();

    dana.post(&app.url("/t/keystone/signin"), &[("csrf", &csrf), ("email", "dana.whitfield@example.com")]).await;

    let received = sink.wait_for(1).await;
    let raw = &received[0];
    assert!(raw.contains("Subject: Sign in to Keystone Home Inspections"), "{raw}");
    assert!(raw.contains("To: dana.whitfield@example.com"));
    // The link as a mail program shows it (long lines arrive wrapped).
    let link = portico_tests::decoded_body(raw)
        .split_whitespace()
        .find(|word| word.contains("/t/keystone/signin/link/"))
        .expect("the mail carries the link")
        .to_string();
    let confirm = dana.get(&link).await;
    let csrf = confirm.hidden("csrf").unwrap_or_else(|| panic!("{link} from {raw}"));
    let hub = dana.post(&link, &[("csrf", &csrf)]).await;

    assert_eq!(hub.status, 200);
    assert!(hub.url.ends_with("/account"));
    assert!(hub.text().contains("Dana Whitfield") && hub.text().contains("1428 Elm Street"), "{}", hub.text());
}
