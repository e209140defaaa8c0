//! Properties: the office names each place it serves, says what kind it is
//! and keeps notes on it (a description or access notes, for the team or
//! shown to the clients); jobs at the same address share their property; a
//! property manager sees each of their places, and nobody else's, on their
//! account hub and on each job's page.

use crate::account_hub::signed_in_with;
use portico_core::ids::{JobId, TenantId};
use portico_core::model::Role;
use portico_tests::{Page, TestApp, Visitor};

const MORGAN: &str = "morgan@harbor-rentals.example";
const LEE: &str = "lee.park@example.com";

/// A job of `email`'s at `street` (their contact record of its own, as an
/// office makes one per job), with a visit `days` from now.
async fn job_at(app: &TestApp, tenant: &TenantId, email: &str, street: &str, reference: &str, days: i64) -> JobId {
    let db = &app.server.state.db;
    let property = db.tenant(tenant).create_property(street, "Springfield", "IL", "62701").await.unwrap();
    let job = db.tenant(tenant).create_job(&property, reference).await.unwrap();
    let at = portico_core::model::now() + days * 24 * 3600;
    db.tenant(tenant).add_appointment(&job, at, at + 7200, "Sam Rivera").await.unwrap();
    let contact = db.tenant(tenant).create_contact("Morgan Hale", Some(email), None).await.unwrap();
    let token = portico_core::tokens::hash_token(&portico_core::tokens::new_token());
    db.tenant(tenant).add_job_contact(&job, &contact, Role::Client, &token, None).await.unwrap();
    job
}

async fn property_of(app: &TestApp, tenant: &TenantId, job: &JobId) -> String {
    app.server.state.db.tenant(tenant).job(job).await.unwrap().unwrap().property_id
}

/// The owner saves a property's name and kind through its console page.
async fn describe(app: &TestApp, owner: &Visitor, property: &str, name: &str, kind: &str) -> Page {
    let page = owner.get(&app.url(&format!("/staff/properties/{property}"))).await;
    let csrf = page.hidden("csrf").expect("the property's form");
    owner.post(&app.url(&format!("/staff/properties/{property}")), &[("csrf", &csrf), ("name", name), ("kind", kind)]).await
}

/// The owner adds a note to a property.
async fn note(app: &TestApp, owner: &Visitor, property: &str, body: &str, topic: &str, for_clients: bool) -> Page {
    let page = owner.get(&app.url(&format!("/staff/properties/{property}"))).await;
    let csrf = page.hidden("csrf").expect("the note form");
    let mut form = vec![("csrf", csrf.as_str()), ("body", body), ("topic", topic)];
    if for_clients {
        form.push(("for_clients", "on"));
    }
    owner.post(&app.url(&format!("/staff/properties/{property}/notes")), &form).await
}

story! { async fn a_property_manager_sees_each_of_their_places_as_the_office_describes_them(app) {
    let tenant = app.demo_tenant_id().await;
    let harbor = job_at(&app, &tenant, MORGAN, "14 Harbor Way", "CLN-101", -30).await;
    let harbor_again = job_at(&app, &tenant, MORGAN, " 14 HARBOR WAY ", "CLN-102", 7).await;
    let lake = job_at(&app, &tenant, MORGAN, "200 Lake Shore Drive", "CLN-103", 3).await;
    let mill = job_at(&app, &tenant, MORGAN, "3 Mill Road", "CLN-104", 10).await;
    let lees = job_at(&app, &tenant, LEE, "8 Quarry Street", "CLN-105", 2).await;
    let owner = app.owner().await;
    let harbor_property = property_of(&app, &tenant, &harbor).await;
    describe(&app, &owner, &harbor_property, "Harbor cottage", "rental").await;
    note(&app, &owner, &harbor_property, "Lockbox by the back door, code 4471.", "access", true).await;
    note(&app, &owner, &harbor_property, "Owner is slow to pay; ask for a deposit.", "general", false).await;
    note(&app, &owner, &harbor_property, "Two-bedroom cottage with a hot tub.", "general", true).await;
    describe(&app, &owner, &property_of(&app, &tenant, &lake).await, "Lakeside office", "business").await;
    describe(&app, &owner, &property_of(&app, &tenant, &lees).await, "Quarry house", "residential").await;

    // Lee, a client elsewhere, follows one of Morgan's cleanings as an agent.
    let lee_contact = app.server.state.db.tenant(&tenant).create_contact("Lee Park", Some(LEE), None).await.unwrap();
    let token = portico_core::tokens::hash_token(&portico_core::tokens::new_token());
    app.server.state.db.tenant(&tenant).add_job_contact(&harbor_again, &lee_contact, Role::BuyerAgent, &token, None).await.unwrap();

    let (morgan, _) = signed_in_with(&app, MORGAN).await;
    let tab = morgan.get(&app.url("/account?tab=properties")).await;
    let job_page = morgan.get(&app.url(&format!("/jobs/{harbor_again}?tab=order-details"))).await;
    let (lee, _) = signed_in_with(&app, LEE).await;
    let lees_tab = lee.get(&app.url("/account?tab=properties")).await.text();
    let lees_job_page = lee.get(&app.url(&format!("/jobs/{harbor_again}?tab=order-details"))).await.text();

    assert_eq!(property_of(&app, &tenant, &harbor_again).await, harbor_property, "one address, one property");
    let text = tab.text();
    assert!(text.contains("You have jobs at 3 properties."), "{text}");
    assert!(text.contains("Harbor cottage Type Rental Address 14 Harbor Way, Springfield, IL 62701"), "{text}");
    assert!(text.contains("Two-bedroom cottage with a hot tub. Access Lockbox by the back door, code 4471. Jobs here 2"), "{text}");
    assert!(text.contains("Lakeside office Type Business"), "{text}");
    assert!(text.contains("3 Mill Road Type Residential"), "an unnamed property goes by its street: {text}");
    assert!(text.contains("CLN-101") && text.contains("CLN-104"), "{text}");
    assert!(tab.href_containing(&format!("/jobs/{mill}")).is_some(), "each job opens");
    assert!(!text.contains("slow to pay"), "internal notes stay with the office: {text}");
    assert!(!text.contains("Quarry") && !text.contains("CLN-105"), "nobody else's property: {text}");
    let job_text = job_page.text();
    assert!(job_text.contains("Property Harbor cottage Address 14 Harbor Way, Springfield, IL 62701 Type Rental"), "{job_text}");
    assert!(job_text.contains("Access Lockbox by the back door, code 4471."), "{job_text}");
    assert!(!job_text.contains("slow to pay"), "{job_text}");
    assert!(lees_tab.contains("Harbor cottage") && lees_tab.contains("Quarry house"), "{lees_tab}");
    assert!(!lees_tab.contains("Lockbox") && !lees_tab.contains("hot tub"), "an agent gets no notes for clients: {lees_tab}");
    assert!(!lees_job_page.contains("Lockbox"), "{lees_job_page}");
}}

story! { async fn the_office_describes_a_property_and_a_refusal_keeps_what_was_typed(app) {
    let tenant = app.demo_tenant_id().await;
    let job = job_at(&app, &tenant, MORGAN, "14 Harbor Way", "CLN-101", 5).await;
    let property = property_of(&app, &tenant, &job).await;
    let owner = app.owner().await;
    app.add_staff("crew@keystone-inspections.example", "Casey Crew", "employee", "crew-password-1").await;
    let employee = app.staff("crew@keystone-inspections.example", "crew-password-1").await;

    let bad_kind = describe(&app, &owner, &property, "Harbor cottage", "castle").await;
    let long = "x".repeat(81);
    let too_long = describe(&app, &owner, &property, &long, "rental").await;
    let empty_note = note(&app, &owner, &property, "   ", "access", true).await;
    let saved = describe(&app, &owner, &property, "  Harbor   cottage ", "rental").await;
    let noted = note(&app, &owner, &property, "Gate code 1234", "access", true).await;
    let listed = owner.get(&app.url("/staff/properties?q=cottage")).await;
    let missing = owner.get(&app.url("/staff/properties?q=nowhere")).await;
    let staff_job = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let employee_view = employee.get(&app.url(&format!("/staff/properties/{property}"))).await;
    let employee_edit = employee.post(&app.url(&format!("/staff/properties/{property}")), &[("csrf", &employee_view.hidden("csrf").unwrap_or_default()), ("name", "Mine"), ("kind", "pool")]).await;
    let other_business = app.other_tenant_client_link().await;
    let _ = other_business;
    let brightside = app.server.state.db.tenant_by_slug("brightside").await.unwrap().unwrap();
    let theirs = app.server.state.db.tenant(&brightside.id).create_property("1 Far Lane", "Springfield", "IL", "62701").await.unwrap();
    let foreign = owner.get(&app.url(&format!("/staff/properties/{theirs}"))).await;

    assert_eq!(bad_kind.status, 422);
    assert!(bad_kind.text().contains("Choose the kind of property from the list."), "{}", bad_kind.text());
    assert!(bad_kind.control("name").unwrap().contains("value=\"Harbor cottage\""), "the name typed is kept");
    assert!(too_long.text().contains("A property's name is at most 80 characters; this one has 81."), "{}", too_long.text());
    assert_eq!(empty_note.status, 422);
    assert!(empty_note.text().contains("Write the note first."), "{}", empty_note.text());
    assert!(empty_note.body.contains("value=\"access\" checked"), "the topic chosen is kept");
    assert!(saved.text().contains("Harbor cottage is saved."), "{}", saved.text());
    assert!(noted.text().contains("The note is added; the clients of the jobs here see it on their portal."), "{}", noted.text());
    assert!(noted.text().contains("Access: Gate code 1234"), "{}", noted.text());
    assert!(listed.text().contains("Harbor cottage 14 Harbor Way, Springfield, IL 62701 Rental 1"), "{}", listed.text());
    assert!(missing.text().contains("No property matches “nowhere”."), "{}", missing.text());
    assert!(staff_job.text().contains("Property Harbor cottage · Rental"), "{}", staff_job.text());
    assert_eq!(employee_view.status, 200, "every member reads it");
    assert!(!employee_view.body.contains("/notes\""), "but gets no forms");
    assert_eq!(employee_edit.status, 403);
    assert_eq!(foreign.status, 404, "another business's property is not found");
    assert_eq!(app.audit_count("property.updated").await, 1);
    assert_eq!(app.audit_count("property.note-added").await, 1);

    // A note removed twice (two tabs) is removed once and said so.
    let note_id = app.server.state.db.tenant(&tenant).property_notes(&[property.as_str()], true).await.unwrap()[0].id.clone();
    let page = owner.get(&app.url(&format!("/staff/properties/{property}"))).await;
    let csrf = page.hidden("csrf").unwrap();
    let removed = owner.post(&app.url(&format!("/staff/properties/{property}/notes/{note_id}/remove")), &[("csrf", &csrf)]).await;
    let again = owner.post(&app.url(&format!("/staff/properties/{property}/notes/{note_id}/remove")), &[("csrf", &csrf)]).await;
    assert!(removed.text().contains("The note is removed.") && !removed.text().contains("Gate code 1234"), "{}", removed.text());
    assert!(again.text().contains("That note was removed already."), "{}", again.text());
    assert_eq!(app.audit_count("property.note-removed").await, 1);
}}

story! { async fn a_job_moved_to_another_address_leaves_the_place_and_its_notes_behind(app) {
    let tenant = app.demo_tenant_id().await;
    let first = job_at(&app, &tenant, MORGAN, "14 Harbor Way", "CLN-101", 5).await;
    let second = job_at(&app, &tenant, MORGAN, "14 Harbor Way", "CLN-102", 12).await;
    let named = job_at(&app, &tenant, MORGAN, "3 Mill Road", "CLN-103", 8).await;
    let bare = job_at(&app, &tenant, MORGAN, "5 Elm Court", "CLN-104", 9).await;
    let harbor = property_of(&app, &tenant, &first).await;
    let mill = property_of(&app, &tenant, &named).await;
    let elm = property_of(&app, &tenant, &bare).await;
    let owner = app.owner().await;
    describe(&app, &owner, &harbor, "Harbor cottage", "rental").await;
    describe(&app, &owner, &mill, "Mill house", "residential").await;

    let edit = |job: JobId, line1: &'static str, reference: &'static str| {
        let owner = &owner;
        let app = &app;
        async move {
            let page = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
            let csrf = page.hidden("csrf").unwrap();
            owner
                .post(&app.url(&format!("/staff/jobs/{job}/details")), &[
                    ("csrf", &csrf), ("reference", reference), ("line1", line1), ("city", "Springfield"), ("region", "IL"),
                    ("postal_code", "62701"), ("appointment", "2026-12-01T09:30"), ("duration_hours", "2"), ("inspector", "Sam Rivera"),
                ])
                .await
        }
    };
    // A new reference, the same house: nothing moves.
    let renamed = edit(second.clone(), "14 Harbor Way", "CLN-102B").await;
    let kept_place = property_of(&app, &tenant, &second).await;
    // The second job was booked at the wrong house: it moves, the first stays.
    let moved = edit(second.clone(), "16 Harbor Way", "CLN-102B").await;
    let sixteen = property_of(&app, &tenant, &second).await;
    // And back to number 14 (spelt another way): it finds the cottage again.
    let back = edit(second.clone(), "14 HARBOR WAY", "CLN-102B").await;
    // The only job at the named Mill house moves: the name stays with the house.
    let mill_moved = edit(named.clone(), "30 Mill Road", "CLN-103").await;
    // The only job at a bare property had a typo: the property is corrected in place.
    let corrected = edit(bare.clone(), "7 Elm Court", "CLN-104").await;

    for page in [&renamed, &moved, &back, &mill_moved, &corrected] {
        assert!(page.text().contains("The job's details are saved."), "{}", page.text());
    }
    assert_eq!(kept_place, harbor, "a reference changed, not the place");
    assert_ne!(sixteen, harbor, "number 16 is a property of its own");
    assert_eq!(property_of(&app, &tenant, &first).await, harbor, "the first job stays");
    assert_eq!(property_of(&app, &tenant, &second).await, harbor, "back at the cottage");
    assert_eq!(property_of(&app, &tenant, &bare).await, elm, "corrected in place");
    assert_ne!(property_of(&app, &tenant, &named).await, mill, "the job left the Mill house");
    let db = &app.server.state.db;
    let cottage = db.tenant(&tenant).find_property(&harbor).await.unwrap().unwrap();
    assert_eq!((cottage.line1.as_str(), cottage.name.as_deref()), ("14 Harbor Way", Some("Harbor cottage")), "its address and name unchanged");
    let mill_house = db.tenant(&tenant).find_property(&mill).await.unwrap().unwrap();
    assert_eq!((mill_house.line1.as_str(), mill_house.name.as_deref()), ("3 Mill Road", Some("Mill house")), "the name stays with its house");
    let thirty = db.tenant(&tenant).find_property(&property_of(&app, &tenant, &named).await).await.unwrap().unwrap();
    assert_eq!((thirty.line1.as_str(), thirty.name), ("30 Mill Road", None));
    assert_eq!(db.tenant(&tenant).find_property(&elm).await.unwrap().unwrap().line1, "7 Elm Court");
    let left = db.tenant(&tenant).property_list("16 Harbor", 10).await.unwrap();
    assert_eq!((left.len(), left[0].jobs), (1, 0), "number 16 has no job left once the job went back");
    assert_eq!(db.tenant(&tenant).property_jobs(&harbor).await.unwrap().len(), 2);
}}

/// The owner moves a job along its day through the console.
async fn move_job(app: &TestApp, owner: &Visitor, job: &JobId, stages: &[&str]) {
    for stage in stages {
        let page = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
        let csrf = page.hidden("csrf").unwrap();
        let moved = owner.post(&app.url(&format!("/staff/jobs/{job}/stage")), &[("csrf", &csrf), ("stage", stage)]).await;
        assert_eq!(moved.status, 200, "{}", moved.text());
    }
}

story! { async fn the_jobs_tab_lists_each_job_with_its_services_team_notes_and_total(app) {
    let tenant = app.demo_tenant_id().await;
    let db = &app.server.state.db;
    let done = job_at(&app, &tenant, MORGAN, "14 Harbor Way", "CLN-101", -14).await;
    let next = job_at(&app, &tenant, MORGAN, "200 Lake Shore Drive", "CLN-102", 3).await;
    let owner = app.owner().await;
    describe(&app, &owner, &property_of(&app, &tenant, &done).await, "Harbor cottage", "rental").await;
    db.tenant(&tenant).add_service(&next, "Deep clean", 18_000).await.unwrap();
    db.tenant(&tenant).add_service(&next, "Oven clean", 4_500).await.unwrap();
    let member = db.tenant(&tenant).staff_users().await.unwrap().into_iter().next().unwrap();
    db.tenant(&tenant).assign_crew(&next, &member.id).await.unwrap();
    db.tenant(&tenant).add_job_note(&next, "Please leave the side gate unlocked.", true, "Morgan Reyes").await.unwrap();
    db.tenant(&tenant).add_job_note(&next, "Client disputes every invoice.", false, "Morgan Reyes").await.unwrap();
    let lines = [("service", "Deep clean", 1, 18_000), ("service", "Oven clean", 1, 4_500)];
    let invoice = portico_data::NewInvoice { number: "3102", status: portico_core::money::InvoiceStatus::Due, tax_minor: 1_800, due_at: None, lines: &lines };
    db.tenant(&tenant).create_invoice(&next, &invoice).await.unwrap();
    move_job(&app, &owner, &done, &["started", "finished"]).await;
    // Lee follows the upcoming job as an agent: no bill, no notes.
    let lee = db.tenant(&tenant).create_contact("Lee Park", Some(LEE), None).await.unwrap();
    let token = portico_core::tokens::hash_token(&portico_core::tokens::new_token());
    db.tenant(&tenant).add_job_contact(&next, &lee, Role::BuyerAgent, &token, None).await.unwrap();

    let (morgan, _) = signed_in_with(&app, MORGAN).await;
    let tab = morgan.get(&app.url("/account?tab=jobs")).await;
    let (lee, _) = signed_in_with(&app, LEE).await;
    let lees_tab = lee.get(&app.url("/account?tab=jobs")).await;

    let text = tab.text();
    let upcoming = text.find("Upcoming When Job").expect("an Upcoming part");
    let past = text.find("Past When Job").expect("a Past part");
    assert!(upcoming < past, "{text}");
    assert!(text[upcoming..past].contains("CLN-102 200 Lake Shore Drive Scheduled Deep clean and Oven clean Sam Rivera and Morgan Reyes 243.00"), "{text}");
    assert!(text[upcoming..past].contains("Note on CLN-102 Please leave the side gate unlocked."), "{text}");
    assert!(text[past..].contains("CLN-101 Harbor cottage Finished — Sam Rivera —"), "{text}");
    assert!(!text.contains("disputes"), "internal notes stay with the office: {text}");
    assert!(tab.href_containing(&format!("/jobs/{next}")).is_some() && tab.href_containing(&format!("/jobs/{done}")).is_some());
    let lees = lees_tab.text();
    assert!(lees.contains("CLN-102 200 Lake Shore Drive Scheduled Deep clean and Oven clean Sam Rivera and Morgan Reyes —"), "an agent sees no total: {lees}");
    assert!(!lees.contains("side gate") && !lees.contains("CLN-101"), "nor the notes, nor Morgan's other job: {lees}");
}}
