//! Service requests: a signed-in client asks for service from the account
//! hub — what is needed, at one of their properties or a new address, the
//! days that suit them, photos — and the request reaches the office's inbox
//! as a conversation; the office books it as a job in one step and the
//! client finds the job on their hub. A photo that is really an HTML page is
//! refused with what was typed kept; a property of someone else cannot be
//! chosen.

use crate::account_hub::signed_in_by_email;
use crate::uploads::photo_with_location;
use portico_tests::{Page, TestApp, Visitor};
use reqwest::multipart::{Form, Part};

const OWNER: &str = "owner@keystone-inspections.example";

/// Send the hub's request form with `fields` and one photo (`name`, `bytes`, `claimed` type).
async fn request(app: &TestApp, visitor: &Visitor, tab: &Page, fields: &[(&str, &str)], photo: Option<(&str, Vec<u8>, &str)>) -> Page {
    let mut form = Form::new()
        .text("_portico_csrf", tab.hidden("_portico_csrf").unwrap())
        .text("_portico_plugin", "requests")
        .text("_portico_card", "request-service")
        .text("_portico_action", "submit")
        .text("_portico_tab", "request-service")
        .text("_portico_file.photos", tab.hidden("_portico_file.photos").expect("the rules of the photos input"));
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    if let Some((name, bytes, claimed)) = photo {
        form = form.part("photos", Part::bytes(bytes).file_name(name.to_string()).mime_str(claimed).unwrap());
    }
    visitor.upload_form(&app.url("/account/actions"), form).await
}

/// The value of the first choice of the `place` select (Dana's property).
fn first_place(tab: &Page) -> String {
    let select = tab.body.split("name=\"place\"").nth(1).expect("the place select");
    select.split("value=\"").nth(1).unwrap().split('"').next().unwrap().to_string()
}

fn day_in(days: i64) -> String {
    (jiff::Timestamp::now() + jiff::SignedDuration::from_hours(24 * days)).to_zoned(jiff::tz::TimeZone::get("America/Chicago").unwrap()).date().to_string()
}

story! { async fn a_client_requests_service_with_a_photo_and_the_office_books_it_as_a_job_in_one_step(app) {
    let tenant = app.demo_tenant_id().await;
    let (dana, _) = signed_in_by_email(&app).await;
    let tab = dana.get(&app.url("/account?tab=request-service")).await;
    let place = first_place(&tab);
    let day = day_in(3);
    let office_mails = app.mail_count(&tenant, OWNER).await;

    let sent = request(
        &app,
        &dana,
        &tab,
        &[("description", "The kitchen faucet drips all night.\nIt started last week."), ("place", &place), ("day-1", &day), ("part-1", "morning")],
        Some(("faucet.jpg", photo_with_location(), "image/jpeg")),
    )
    .await;

    assert!(sent.text().contains("Request R-0001 is sent."), "{}", sent.text());
    assert!(sent.text().contains("Waiting for the office") && sent.text().contains("1428 Elm Street"), "her request is listed: {}", sent.text());
    assert_eq!(app.mail_count(&tenant, OWNER).await, office_mails + 1, "the office is e-mailed once");

    // The office's inbox, the request, its conversation with the photo.
    let owner = app.owner().await;
    let inbox = owner.get(&app.url("/staff/requests")).await;
    assert!(inbox.text().contains("R-0001 Dana Whitfield The kitchen faucet drips all night."), "{}", inbox.text());
    let page = owner.get(&app.url(&inbox.href_containing("/staff/requests/").unwrap())).await;
    assert!(page.text().contains("morning (8–12)"), "{}", page.text());
    let thread = owner.get(&app.url(&page.href_containing("/staff/conversations/").unwrap())).await;
    assert!(thread.text().contains("The kitchen faucet drips all night.") && thread.body.contains("/files/"), "the photo is in the thread: {}", thread.text());

    // Booked in one step: the visit guessed from her morning.
    assert!(page.body.contains(&format!("name=\"appointment\" type=\"datetime-local\" value=\"{day}T09:00\"")), "{}", page.text());
    let action = page.action_containing("/book").unwrap();
    let csrf = page.csrf_for(&action).unwrap();
    let booked = owner
        .post(&app.url(&action), &[("csrf", &csrf), ("reference", "R-0001"), ("appointment", &format!("{day}T09:00")), ("duration_hours", "2"), ("staff_name", "Morgan Reyes"), ("service", "Faucet repair"), ("price", "145.00")])
        .await;
    assert!(booked.url.contains("/staff/jobs/") && booked.text().contains("The request is booked as this job"), "{}", booked.text());
    assert!(booked.text().contains("Faucet repair — $145.00") && booked.text().contains("Dana Whitfield"), "{}", booked.text());
    let twice = owner.post(&app.url(&action), &[("csrf", &csrf), ("reference", "R-0001-B")]).await;
    assert!(twice.text().contains("Request R-0001 is already booked as a job."), "booked once: {}", twice.text());

    // Dana reads the office's word and finds the job on her hub.
    let again = dana.get(&app.url("/account?tab=request-service")).await;
    assert!(again.text().contains("Booked"), "{}", again.text());
    let messages = dana.get(&app.url(&again.href_containing("/messages/").unwrap())).await;
    assert!(messages.text().contains("We booked your request as job R-0001"), "{}", messages.text());
    let job = dana.get(&app.url(&again.href_containing("/jobs/").unwrap())).await;
    assert_eq!(job.status, 200, "{}", job.text());
    assert!(job.text().contains("R-0001"), "{}", job.text());
}}

story! { async fn a_request_whose_photo_is_a_web_page_is_refused_with_what_was_typed_kept(app) {
    let (dana, _) = signed_in_by_email(&app).await;
    let tab = dana.get(&app.url("/account?tab=request-service")).await;
    let lying = request(
        &app,
        &dana,
        &tab,
        &[("description", "Gutter hangs loose over the porch."), ("place", "new"), ("line1", "12 Birch Lane"), ("city", "Springfield"), ("region", "IL"), ("postal_code", "62704")],
        Some(("gutter.jpg", b"<!doctype html><html><script>alert(1)</script></html>".to_vec(), "image/jpeg")),
    )
    .await;
    let someone_elses = request(&app, &dana, &tab, &[("description", "Please clean the windows."), ("place", "not-a-property-of-hers")], None).await;
    let no_address = request(&app, &dana, &tab, &[("description", "Please clean the windows."), ("place", "new")], None).await;

    assert!(lying.text().contains("“gutter.jpg” is not a photo"), "{}", lying.text());
    assert!(lying.body.contains("Gutter hangs loose over the porch.") && lying.body.contains("value=\"12 Birch Lane\""), "what was typed is kept");
    assert!(someone_elses.text().contains("Choose one of your properties, or type the address."), "{}", someone_elses.text());
    assert!(no_address.text().contains("Give the street address, city and postal code"), "{}", no_address.text());
    let owner = app.owner().await;
    assert!(owner.get(&app.url("/staff/requests")).await.text().contains("No requests yet."), "nothing was kept");
}}
