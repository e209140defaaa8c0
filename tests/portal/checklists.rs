//! Photos and checklists: the crew ticks the business's checklists and adds
//! before and after photos on the console's job page, from a phone; the job's
//! clients see what was done and the photos, and comment on them in a
//! conversation with the office.

use crate::uploads::photo_with_location;
use portico_tests::{Page, TestApp, Visitor};
use reqwest::multipart::{Form, Part};

const CHECKLISTS: &str = "Kitchen: Counters wiped; Sink scrubbed; Floor mopped\nBathroom: Tub scrubbed; Mirror polished";

async fn crew(app: &TestApp) -> Visitor {
    app.add_staff("crew@keystone-inspections.example", "Casey Crew", "employee", "crew-password-1").await;
    app.staff("crew@keystone-inspections.example", "crew-password-1").await
}

/// The demo job's id, as its client's link opens it.
async fn demo_job(app: &TestApp) -> String {
    Visitor::new().get(&app.links.client).await.job_path().trim_start_matches("/jobs/").to_string()
}

/// The names of the check boxes on the crew's card, in order.
fn tick_boxes(page: &Page) -> Vec<String> {
    page.body.split(" name=\"tick-").skip(1).map(|rest| format!("tick-{}", rest.split('"').next().unwrap())).collect()
}

/// Save the checklists with `ticked` boxes on, as the form `page` showed them
/// (each list's hidden record of what it showed ticked goes back with it).
async fn save(app: &TestApp, member: &Visitor, page: &Page, job: &str, ticked: &[&str]) -> Page {
    let lists: Vec<String> = page.body.split(" name=\"was-").skip(1).map(|rest| format!("was-{}", rest.split('"').next().unwrap())).collect();
    let seen: Vec<(String, String)> = lists.iter().map(|name| (name.clone(), page.hidden(name).unwrap_or_default())).collect();
    let mut fields: Vec<(&str, &str)> = seen.iter().map(|(name, value)| (name.as_str(), value.as_str())).collect();
    fields.extend(ticked.iter().map(|name| (*name, "on")));
    member.act_at(page, &app.url(&format!("/staff/jobs/{job}/actions")), "checklists", "crew-checklists", "save", &fields).await
}

/// Add `photo` as a photo of `moment` with `caption`, from the console's job page.
async fn add_photo(app: &TestApp, member: &Visitor, job: &str, (name, bytes, claimed): (&str, Vec<u8>, &str), moment: &str, caption: &str) -> Page {
    let page = member.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let form = Form::new()
        .text("_portico_csrf", page.hidden("_portico_csrf").unwrap())
        .text("_portico_plugin", "checklists")
        .text("_portico_card", "crew-photos")
        .text("_portico_action", "add-photos")
        .text("_portico_file.photos", page.hidden("_portico_file.photos").expect("the rules of the photos input"))
        .text("moment", moment.to_string())
        .text("caption", caption.to_string())
        .part("photos", Part::bytes(bytes).file_name(name.to_string()).mime_str(claimed).unwrap());
    member.upload_form(&app.url(&format!("/staff/jobs/{job}/actions")), form).await
}

story! { async fn the_crew_ticks_checklists_and_adds_photos_and_the_client_sees_the_work(app) {
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "checklists": CHECKLISTS }).to_string();
    app.server.state.db.tenant(&tenant).set_plugin_settings("checklists", &settings).await.unwrap();
    let job = demo_job(&app).await;
    let casey = crew(&app).await;
    let owner = app.owner().await;

    // Casey ticks two kitchen items while the owner, on a page loaded before, ticks the third.
    let caseys_page = casey.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let owners_page = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let boxes = tick_boxes(&caseys_page);
    assert_eq!(boxes.len(), 5, "a box per item: {boxes:?}");
    let casey_saved = save(&app, &casey, &caseys_page, &job, &[&boxes[0], &boxes[1]]).await;
    let owner_saved = save(&app, &owner, &owners_page, &job, &[&boxes[2]]).await;
    let before = add_photo(&app, &casey, &job, ("IMG_0001.JPG", photo_with_location(), "image/jpeg"), "before", "Kitchen before").await;
    let after = add_photo(&app, &casey, &job, ("IMG_0002.JPG", photo_with_location(), "image/jpeg"), "after", "Kitchen after").await;
    let lying = add_photo(&app, &casey, &job, ("oven.jpg", b"<html><script>alert(1)</script></html>".to_vec(), "image/jpeg"), "after", "Oven after").await;
    let no_photo = casey
        .act_at(&caseys_page, &app.url(&format!("/staff/jobs/{job}/actions")), "checklists", "crew-photos", "add-photos", &[("moment", "after"), ("caption", "Nothing")])
        .await;

    assert!(casey_saved.text().contains("Saved: 2 ticked."), "{}", casey_saved.text());
    assert!(owner_saved.text().contains("Saved: 1 ticked."), "{}", owner_saved.text());
    assert!(owner_saved.text().contains("Counters wiped (ticked by Casey Crew)"), "the owner's stale form undid nothing: {}", owner_saved.text());
    assert!(owner_saved.text().contains("Floor mopped (ticked by Morgan Reyes)"), "{}", owner_saved.text());
    assert!(before.text().contains("The photo is added; the job's clients see it."), "{}", before.text());
    assert!(after.text().contains("The photo is added"), "{}", after.text());
    assert!(lying.text().contains("Error: “oven.jpg” is not a photo (JPEG or PNG)."), "refused beside its input: {}", lying.text());
    assert!(lying.body.contains("value=\"Oven after\""), "the caption typed is kept: {}", lying.text());
    assert!(no_photo.text().contains("Take or choose at least one photo."), "{}", no_photo.text());

    // Dana, the client, on her job's Photos tab.
    let dana = Visitor::new();
    let link = dana.get(&app.links.client).await;
    let tab = dana.get(&app.url(&format!("{}?tab=photos", link.job_path()))).await;
    let text = tab.text();
    assert!(text.contains("Kitchen Items done: 3 of 3") && text.contains("Done: Counters wiped Done: Sink scrubbed Done: Floor mopped"), "{text}");
    assert!(!text.contains("Tub scrubbed"), "a checklist nobody started is not shown: {text}");
    assert!(text.contains("In progress"), "{text}");
    assert!(tab.body.contains("alt=\"Kitchen before (photo by Casey Crew)\"") && tab.body.contains("alt=\"Kitchen after (photo by Casey Crew)\""), "{}", tab.body);
    assert!(text.find("Before").unwrap() < text.find("After").unwrap(), "before, then after: {text}");
    let photo = tab.href_containing("/files/").expect("the full-size photo");
    let (status, content_type, _) = dana.get_raw(&app.url(&photo)).await;
    assert_eq!((status, content_type.as_str()), (200, "image/jpeg"), "the client opens the crew's photo");

    // She comments; the office reads it in its inbox.
    let commented = dana.act(&tab, "checklists", "photos-and-checklists", "comment", &[("_portico_tab", "photos"), ("comment", "The oven was missed.")]).await;
    let empty = dana.act(&tab, "checklists", "photos-and-checklists", "comment", &[("_portico_tab", "photos"), ("comment", "  ")]).await;
    assert!(commented.text().contains("Your comment is with the office."), "{}", commented.text());
    assert!(empty.text().contains("Write your comment first."), "{}", empty.text());
    let inbox = owner.get(&app.url("/staff/inbox")).await;
    assert!(inbox.text().contains("Photos and checklists of job INS-1042"), "{}", inbox.text());

    // The buyer's agent follows the job, not the crew's photos.
    let sam = Visitor::new();
    let sams = sam.get(&app.links.buyer_agent).await;
    let sams_tab = sam.get(&app.url(&format!("{}?tab=photos", sams.job_path()))).await;
    assert!(!sams_tab.text().contains("Counters wiped") && !sams_tab.body.contains("/files/"), "{}", sams_tab.text());
}}

story! { async fn the_crews_photos_and_the_released_report_are_filed_under_the_clients_property(app) {
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "checklists": CHECKLISTS }).to_string();
    app.server.state.db.tenant(&tenant).set_plugin_settings("checklists", &settings).await.unwrap();
    let job = demo_job(&app).await;
    let casey = crew(&app).await;
    let business = app.server.state.db.tenant(&tenant);

    // A form the section refuses keeps none of its files; the next one is kept.
    let stored_before = business.upload_bytes().await.unwrap();
    let refused = add_photo(&app, &casey, &job, ("IMG_0003.JPG", photo_with_location(), "image/jpeg"), "during", "Kitchen").await;
    let stored_after_refusal = business.upload_bytes().await.unwrap();
    add_photo(&app, &casey, &job, ("IMG_0004.JPG", photo_with_location(), "image/jpeg"), "before", "Kitchen before").await;

    // Dana on her account hub, while the report waits for her signature and payment, then once released.
    let (dana, _) = crate::account_hub::signed_in_with(&app, "dana.whitfield@example.com").await;
    let held = dana.get(&app.url("/account?tab=properties")).await;
    let jobs_tab = dana.get(&app.url("/account?tab=jobs")).await;
    app.release_reports_on_publish().await;
    let released = dana.get(&app.url("/account?tab=properties")).await;
    let (sam, _) = crate::account_hub::signed_in_with(&app, "sam.ortiz@realty.example").await;
    let sams = sam.get(&app.url("/account?tab=properties")).await;

    assert!(refused.text().contains("Say whether the photos show the place before or after the work."), "{}", refused.text());
    assert_eq!(stored_after_refusal, stored_before, "the refused form's photo is not kept");
    let text = held.text();
    assert!(text.contains("Files and photos"), "{text}");
    assert!(held.body.contains("alt=\"Photo from job INS-1042, taken by Casey Crew\""), "{}", held.body);
    assert!(!text.contains("Residential Inspection (job INS-1042)"), "a held report is not filed yet: {text}");
    let thumbnail = held.body.split("src=\"").skip(1).map(|rest| rest.split('"').next().unwrap()).find(|src| src.contains("/thumbnail")).expect("the photo's thumbnail");
    let (status, content_type, _) = dana.get_raw(&app.url(thumbnail)).await;
    assert_eq!((status, content_type.as_str()), (200, "image/jpeg"), "she opens what is listed");
    assert!(jobs_tab.text().contains("1 photo"), "the Jobs tab counts the job's files: {}", jobs_tab.text());
    assert!(released.text().contains("Residential Inspection (job INS-1042)"), "{}", released.text());
    let report = released.href_containing("/documents/").expect("the report's link");
    assert_eq!(dana.get_raw(&app.url(&report)).await.0, 200);
    assert!(!sams.body.contains("/files/"), "the buyer's agent gets no crew photos: {}", sams.text());

    // The photo was taken by mistake: Casey removes it, and it is gone for Dana too.
    let upload = thumbnail.trim_start_matches("/files/").trim_end_matches("/thumbnail").to_string();
    let crew_page = casey.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let unchosen = casey.act_at(&crew_page, &app.url(&format!("/staff/jobs/{job}/actions")), "checklists", "crew-photos", "remove-photo", &[("remove", "")]).await;
    let removed = casey.act_at(&crew_page, &app.url(&format!("/staff/jobs/{job}/actions")), "checklists", "crew-photos", "remove-photo", &[("remove", &upload)]).await;
    let again = casey.act_at(&crew_page, &app.url(&format!("/staff/jobs/{job}/actions")), "checklists", "crew-photos", "remove-photo", &[("remove", &upload)]).await;
    assert!(crew_page.text().contains("Photo taken by mistake"), "{}", crew_page.text());
    assert!(unchosen.text().contains("Choose the photo to remove."), "{}", unchosen.text());
    assert!(removed.text().contains("The photo is removed; the job's clients no longer see it."), "{}", removed.text());
    assert!(again.text().contains("That photo is already removed."), "{}", again.text());
    let after_removal = dana.get(&app.url("/account?tab=properties")).await;
    assert!(!after_removal.body.contains(&upload), "{}", after_removal.text());
    assert_eq!(dana.get_raw(&app.url(thumbnail)).await.0, 404, "nobody opens it again");
    assert_eq!(business.upload_bytes().await.unwrap(), stored_before, "its bytes no longer count");
}}

story! { async fn a_checklist_is_unticked_only_by_who_sees_it_ticked_and_clients_cannot_tick(app) {
    let tenant = app.demo_tenant_id().await;
    let settings = serde_json::json!({ "checklists": CHECKLISTS }).to_string();
    app.server.state.db.tenant(&tenant).set_plugin_settings("checklists", &settings).await.unwrap();
    let job = demo_job(&app).await;
    let casey = crew(&app).await;
    let page = casey.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let boxes = tick_boxes(&page);
    save(&app, &casey, &page, &job, &[&boxes[3], &boxes[4]]).await;

    let reloaded = casey.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let unticked = save(&app, &casey, &reloaded, &job, &[&boxes[3]]).await;
    let unknown = casey.act_at(&reloaded, &app.url(&format!("/staff/jobs/{job}/actions")), "checklists", "crew-checklists", "save-7", &[]).await;
    let dana = Visitor::new();
    let link = dana.get(&app.links.client).await;
    let tab = dana.get(&app.url(&format!("{}?tab=photos", link.job_path()))).await;
    let forged = dana.act(&tab, "checklists", "photos-and-checklists", "save", &[(&boxes[0], "on")]).await;

    assert!(unticked.text().contains("Saved: 1 unticked."), "{}", unticked.text());
    assert!(unknown.text().contains("No such action here; reload the page."), "{}", unknown.text());
    assert!(forged.text().contains("Only the crew ticks checklists and adds photos."), "{}", forged.text());
    let text = dana.get(&app.url(&format!("{}?tab=photos", link.job_path()))).await.text();
    assert!(text.contains("Bathroom Items done: 1 of 2") && text.contains("Done: Tub scrubbed Not done: Mirror polished"), "{text}");
    assert!(!text.contains("Counters wiped"), "{text}");
}}

story! { async fn a_business_with_too_many_checklists_sees_the_first_and_keeps_its_photo_form(app) {
    let tenant = app.demo_tenant_id().await;
    let lines: Vec<String> = (1..=10).map(|n| format!("Room {n}: Dusted; Vacuumed; Windows; Bins; Skirting")).collect();
    let settings = serde_json::json!({ "checklists": lines.join("\n") }).to_string();
    app.server.state.db.tenant(&tenant).set_plugin_settings("checklists", &settings).await.unwrap();
    let job = demo_job(&app).await;
    let casey = crew(&app).await;

    let page = casey.get(&app.url(&format!("/staff/jobs/{job}"))).await;

    let text = page.text();
    assert!(text.contains("Only the first checklists are shown: a job holds at most 6 lists and 34 items in all."), "{text}");
    assert!(text.contains("Room 6") && !text.contains("Room 7"), "{text}");
    assert_eq!(tick_boxes(&page).len(), 30, "six lists of five");
    assert!(text.contains("Save the checklists") && text.contains("Add the photos") && page.body.contains("name=\"moment\""), "both forms whole: {text}");
}}
