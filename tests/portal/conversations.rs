//! Conversations: a client writes to the office about their job with a
//! photo, the office reads it in its inbox and answers, each side is told by
//! e-mail once per unread streak, and nobody else on the job, or outside it,
//! reads the thread or its files.

use portico_tests::{Page, TestApp, Visitor};
use reqwest::multipart::{Form, Part};

const DANA: &str = "dana.whitfield@example.com";
const OWNER: &str = "owner@keystone-inspections.example";

/// A small PNG photo.
fn photo() -> Vec<u8> {
    use image::ImageEncoder;
    let pixels: Vec<u8> = (0..32 * 24 * 3).map(|i| (i % 251) as u8).collect();
    let mut png = Vec::new();
    image::codecs::png::PngEncoder::new(&mut png).write_image(&pixels, 32, 24, image::ExtendedColorType::Rgb8).unwrap();
    png
}

/// Dana, signed in from her personal link, and her job's id.
async fn dana(app: &TestApp) -> (Visitor, String) {
    let dana = Visitor::new();
    let job = dana.get(&app.links.client).await.job_path();
    (dana, job.trim_start_matches("/jobs/").to_string())
}

/// Post a message form (`fields`, and `files` as name, bytes, claimed type)
/// to `action` with the CSRF token of `page`.
async fn send(app: &TestApp, visitor: &Visitor, page: &Page, action: &str, fields: &[(&str, &str)], files: Vec<(&str, Vec<u8>, &str)>) -> Page {
    let mut form = Form::new().text("csrf", page.csrf_for(action).unwrap_or_else(|| panic!("a form posting to {action}: {}", page.body)));
    for (name, value) in fields {
        form = form.text(name.to_string(), value.to_string());
    }
    for (name, bytes, claimed) in files {
        form = form.part("files", Part::bytes(bytes).file_name(name.to_string()).mime_str(claimed).unwrap());
    }
    visitor.upload_form(&app.url(action), form).await
}

/// Dana writes about her job; she lands on the thread.
async fn dana_writes(app: &TestApp, dana: &Visitor, job: &str, title: &str, body: &str, files: Vec<(&str, Vec<u8>, &str)>) -> Page {
    let page = dana.get(&app.url(&format!("/messages?job={job}"))).await;
    send(app, dana, &page, "/messages", &[("job", job), ("title", title), ("body", body)], files).await
}

/// The files a page links to (`/files/{id}`), in order.
fn file_links(page: &Page) -> Vec<String> {
    page.body.split("href=\"/files/").skip(1).filter_map(|rest| rest.split('"').next()).map(|id| format!("/files/{id}")).collect()
}

fn thread_path(page: &Page) -> String {
    let start = page.url.find("/messages/").unwrap_or_else(|| panic!("on a thread: {} {}", page.url, page.text()));
    page.url[start..].split(['?', '#']).next().unwrap().to_string()
}

story! { async fn a_client_writes_with_a_photo_and_the_office_answers(app) {
    let tenant = app.demo_tenant_id().await;
    let (dana, job) = dana(&app).await;
    let job_page = dana.get(&app.url(&format!("/jobs/{job}"))).await;
    assert!(job_page.href_containing(&format!("/messages?job={job}")).is_some(), "the job page offers to write: {}", job_page.body);

    let thread = dana_writes(&app, &dana, &job, "Attic access", "Is the attic hatch in the closet enough?", vec![("hatch.png", photo(), "image/png")]).await;

    assert_eq!(thread.status, 200, "{}", thread.text());
    let path = thread_path(&thread);
    assert!(thread.text().contains("Attic access") && thread.text().contains("Is the attic hatch in the closet enough?"), "{}", thread.text());
    let files = file_links(&thread);
    assert_eq!(files.len(), 1, "{}", thread.body);
    let (status, content_type, _) = dana.get_raw(&app.url(&files[0])).await;
    assert_eq!((status, content_type.as_str()), (200, "image/jpeg"), "the photo is kept, re-encoded without its metadata");
    // The office hears of it once, with a link to the thread in the console.
    assert_eq!(app.mail_count(&tenant, OWNER).await, 1);
    let told = app.last_mail_to(&tenant, OWNER).await.unwrap();
    assert_eq!(told.template, "office-new-message");
    assert!(told.body.contains("Dana Whitfield wrote about job") && told.body.contains("Is the attic hatch in the closet enough?"), "{}", told.body);
    let console_link = told.link();
    assert!(console_link.contains("/staff/conversations/"), "{console_link}");

    // A second message before anyone at the office read the first: no second e-mail.
    let again = send(&app, &dana, &thread, &path, &[("body", "Also: the dog will be out.")], Vec::new()).await;
    assert!(again.text().contains("Also: the dog will be out."), "{}", again.text());
    assert_eq!(app.mail_count(&tenant, OWNER).await, 1, "one e-mail per unread streak");

    // The office finds it awaiting an answer, reads it and answers.
    let owner = app.owner().await;
    let inbox = owner.get(&app.url("/staff/inbox")).await;
    assert!(inbox.text().contains("Attic access") && inbox.text().contains("Awaiting an answer") && inbox.text().contains("2 new"), "{}", inbox.text());
    let read = owner.get(&console_link).await;
    assert!(read.text().contains("Also: the dog will be out.") && file_links(&read) == files, "{}", read.text());
    assert_eq!(owner.get_raw(&app.url(&files[0])).await.0, 200, "the office opens the photo");
    let console_path = &console_link[console_link.find("/staff/").unwrap()..];
    let answered = send(&app, &owner, &read, console_path, &[("body", "Yes, the closet hatch is fine. See you Thursday.")], Vec::new()).await;
    assert!(answered.text().contains("See you Thursday."), "{}", answered.text());
    assert!(owner.get(&app.url("/staff/inbox")).await.text().contains("Nobody is waiting for an answer."));

    // Dana hears of the answer, with a link to the thread and to her choices.
    let mail = app.last_mail_to(&tenant, DANA).await.unwrap();
    assert_eq!(mail.template, "new-message");
    assert!(mail.body.contains("Morgan Reyes wrote about \"Attic access\"") && mail.body.contains("See you Thursday."), "{}", mail.body);
    assert_eq!(mail.link(), app.url(&path));
    assert!(mail.unsubscribe.is_some(), "every notification links to the person's choices");
    let hub = dana.get(&app.url("/account")).await;
    assert!(hub.text().contains("Read your messages (1 new)"), "{}", hub.text());
    let reread = dana.get(&mail.link()).await;
    assert!(reread.text().contains("Morgan Reyes · the office") && reread.body.contains("chip tone-info\">New<"), "{}", reread.text());
    assert!(!dana.get(&app.url("/account")).await.text().contains("new)"), "read now");

    // Her next message is e-mailed again: the office had read everything.
    send(&app, &dana, &reread, &path, &[("body", "Thank you!")], Vec::new()).await;
    assert_eq!(app.mail_count(&tenant, OWNER).await, 2);
}}

story! { async fn nobody_else_reads_a_clients_thread_or_its_files(app) {
    let (dana, job) = dana(&app).await;
    let thread = dana_writes(&app, &dana, &job, "Private question", "About the sale price", vec![("hatch.png", photo(), "image/png")]).await;
    let path = thread_path(&thread);
    let file = file_links(&thread).remove(0);

    // The buyer's agent on the same job, a client of another business, and
    // a stranger: none of them reads it.
    let agent = Visitor::new();
    agent.get(&app.links.buyer_agent).await;
    let other = Visitor::new();
    other.get(&app.other_tenant_client_link().await).await;
    for (who, visitor) in [("the agent", &agent), ("another business's client", &other)] {
        assert_eq!(visitor.get(&app.url(&path)).await.status, 404, "{who} cannot open the thread");
        assert_eq!(visitor.get_raw(&app.url(&file)).await.0, 404, "{who} cannot open its file");
        assert!(!visitor.get(&app.url("/messages")).await.text().contains("Private question"), "{who} does not see it listed");
    }
    // The agent writes their own thread about the job, which Dana does not see.
    let agent_thread = dana_writes(&app, &agent, &job, "Agent's question", "When is the report due?", Vec::new()).await;
    assert_eq!(agent_thread.status, 200, "{}", agent_thread.text());
    assert!(!dana.get(&app.url("/messages")).await.text().contains("Agent's question"));
    assert_eq!(dana.get(&app.url(&thread_path(&agent_thread))).await.status, 404);
    let signed_out = Visitor::new().get(&app.url(&path)).await;
    assert!(signed_out.text().contains("Keystone Home Inspections") && !signed_out.text().contains("About the sale price"), "{}", signed_out.text());
    assert_eq!(Visitor::new().get_raw(&app.url(&file)).await.0, 404);

    // An employee in the field does not read the office's conversations.
    app.add_staff("tech@keystone-inspections.example", "Riley Tech", "employee", "correct horse battery").await;
    let tech = app.staff("tech@keystone-inspections.example", "correct horse battery").await;
    assert_eq!(tech.get(&app.url("/staff/inbox")).await.status, 403);
    assert_eq!(tech.get_raw(&app.url(&file)).await.0, 404, "nor the files sent in them");
    assert!(!tech.get(&app.url("/staff")).await.body.contains("href=\"/staff/inbox\""), "nor is the inbox in their menu");
}}

story! { async fn a_message_that_cannot_be_sent_keeps_what_was_typed(app) {
    let tenant = app.demo_tenant_id().await;
    let (dana, job) = dana(&app).await;
    let lying = b"<!doctype html><script>alert(1)</script>".to_vec();

    let refused_file = dana_writes(&app, &dana, &job, "Leak", "Water under the sink", vec![("leak.jpg", lying, "image/jpeg")]).await;
    let no_subject = dana_writes(&app, &dana, &job, "   ", "Water under the sink", Vec::new()).await;
    let empty = dana_writes(&app, &dana, &job, "Leak", " \n ", Vec::new()).await;

    for (page, words) in [
        (&refused_file, "“leak.jpg” is not a photo (JPEG or PNG) or a PDF."),
        (&no_subject, "Give the conversation a subject."),
        (&empty, "Write a message or attach a file."),
    ] {
        assert_eq!(page.status, 422, "{}", page.text());
        assert!(page.text_of("message-error").is_some_and(|said| said.contains(words)), "{words}: {}", page.text());
        assert!(page.control("body").is_some_and(|tag| tag.contains("aria-invalid=\"true\"")), "{}", page.body);
    }
    assert!(refused_file.body.contains(">Water under the sink</textarea>") && refused_file.body.contains("value=\"Leak\""), "kept: {}", refused_file.body);
    assert!(refused_file.body.contains(&format!("value=\"{job}\" selected")), "the job stays chosen: {}", refused_file.body);
    // A form without the session's token is refused before its files are read.
    let forged = Form::new().text("csrf", "forged").text("job", job.clone()).text("title", "Leak").text("body", "Water under the sink");
    let forged = dana.upload_form(&app.url("/messages"), forged.part("files", Part::bytes(photo()).file_name("leak.png").mime_str("image/png").unwrap())).await;
    assert_eq!(forged.status, 403, "{}", forged.text());
    assert!(!dana.get(&app.url("/messages")).await.text().contains("Leak"), "nothing was sent");
    assert_eq!(app.mail_count(&tenant, OWNER).await, 0);
}}

story! { async fn the_office_writes_first_and_the_client_is_told_as_she_chose(app) {
    let tenant = app.demo_tenant_id().await;
    let (dana, job) = dana(&app).await;
    let owner = app.owner().await;
    let job_console = owner.get(&app.url(&format!("/staff/jobs/{job}"))).await;
    let threads = owner.get(&app.url(&job_console.href_containing("/conversations").expect("the job's conversations"))).await;
    let person = threads.body.split("<option value=\"").skip(1).find(|option| option.contains("Dana Whitfield")).unwrap().split('"').next().unwrap().to_string();

    // Dana chose not to be e-mailed about messages.
    let recipient = app.server.state.notifications.recipient(&app.server.state.db.tenant(&tenant).business().await.unwrap().unwrap(), DANA).await.unwrap();
    let business = app.server.state.db.tenant(&tenant).business().await.unwrap().unwrap();
    app.server.state.notifications.stop(&business, &recipient.id, Some(portico_core::notifications::NotificationKind::NewMessage)).await.unwrap();
    let before = app.mail_count(&tenant, DANA).await;
    let action = format!("/staff/jobs/{job}/conversations");
    let sent = send(&app, &owner, &threads, &action, &[("person", &person), ("title", "Your report"), ("body", "The radon results are in.")], Vec::new()).await;

    assert!(sent.url.contains("/staff/conversations/") && sent.text().contains("The radon results are in."), "{}", sent.text());
    assert_eq!(app.mail_count(&tenant, DANA).await, before, "she turned these e-mails off");
    let listed = dana.get(&app.url("/messages")).await;
    assert!(listed.text().contains("Your report") && listed.text().contains("1 new"), "{}", listed.text());
    assert!(owner.get(&app.url(&action)).await.text().contains("Your report"), "the job's threads list it");
    // Writing to someone not on the job is refused, with the words kept.
    let stranger = send(&app, &owner, &threads, &action, &[("person", "not-a-person"), ("title", "Hello"), ("body", "Kept words")], Vec::new()).await;
    assert_eq!(stranger.status, 422);
    assert!(stranger.text().contains("Choose someone who is on this job.") && stranger.body.contains(">Kept words</textarea>"), "{}", stranger.text());
}}

story! { async fn a_section_talks_about_its_own_subject_and_the_office_answers_from_its_panel(app) {
    use crate::uploads::{install_help_desk, photo_with_location, problems_tab, report};
    let tenant = app.demo_tenant_id().await;
    install_help_desk(&app).await;
    let (dana, tab) = problems_tab(&app).await;
    let job = tab.job_path();

    let sent = report(&app, &dana, &tab, "Water under the kitchen sink", vec![("photos", "IMG_2041.JPG", photo_with_location(), "image/jpeg")]).await;

    // The section opened the problem's thread with the photo; the office is told.
    let link = sent.href_containing("/messages/").unwrap_or_else(|| panic!("the card links to the thread: {}", sent.body));
    assert!(sent.text().contains("Conversation with Dana Whitfield: Problem: Water under the kitchen sink"), "{}", sent.text());
    let thread = dana.get(&app.url(&link)).await;
    assert!(thread.text().contains("Water under the kitchen sink") && file_links(&thread).len() == 1, "{}", thread.body);
    assert_eq!(app.last_mail_to(&tenant, OWNER).await.map(|mail| mail.template).as_deref(), Some("office-new-message"));

    // The office answers from the section's panel on the job's console page.
    let owner = app.owner().await;
    let staff_job = owner.get(&app.url(&format!("/staff{job}"))).await;
    assert!(staff_job.text().contains("Conversation with Dana Whitfield: Problem: Water under the kitchen sink (1 new)"), "{}", staff_job.text());
    let answered = owner.act_at(&staff_job, &app.url(&format!("/staff{job}/actions")), "help-desk", "crew-note", "answer", &[("answer", "A plumber comes tomorrow at 9.")]).await;
    assert!(answered.text().contains("Your answer is with Dana Whitfield."), "{}", answered.text());
    let mail = app.last_mail_to(&tenant, DANA).await.unwrap();
    assert!(mail.template == "new-message" && mail.body.contains("A plumber comes tomorrow at 9."), "{}", mail.body);
    assert_eq!(mail.link(), app.url(&link));

    // A second report goes into the same thread; the card counts what is new.
    let tab = dana.get(&app.url(&format!("{job}?tab=problems"))).await;
    assert!(tab.text().contains("(1 new)"), "{}", tab.text());
    let again = report(&app, &dana, &tab, "It leaks again", Vec::new()).await;
    assert_eq!(again.href_containing("/messages/"), Some(link.clone()), "one thread per subject");
    let thread = dana.get(&app.url(&link)).await;
    assert!(thread.text().contains("A plumber comes tomorrow at 9.") && thread.text().contains("It leaks again"), "{}", thread.text());
    // The host's own lists show it too: Dana's messages, the office's inbox.
    assert!(dana.get(&app.url("/messages")).await.text().contains("Problem: Water under the kitchen sink"));
    assert!(owner.get(&app.url("/staff/inbox")).await.text().contains("Problem: Water under the kitchen sink"));
}}

story! { async fn a_section_reads_only_its_own_threads_and_writes_only_when_asked(app) {
    let tenant = app.demo_tenant_id().await;
    let (dana, job) = dana(&app).await;
    let private = dana_writes(&app, &dana, &job, "Private question", "About the sale price", Vec::new()).await;
    let target = thread_path(&private).trim_start_matches("/messages/").to_string();
    let settings = serde_json::json!({ "mode": "eavesdrop", "target": target }).to_string();
    app.server
        .state
        .sections
        .install_upload(&tenant, portico_tests::hostile_plugin("portico-test-hostile"), portico_sections::Grants::AllRequested, &settings)
        .await
        .unwrap();

    let page = dana.get(&app.url(&format!("/jobs/{job}"))).await;

    let said = page.text();
    assert!(said.contains("threads: 0; target: not found; write: the business has not granted this section the conversations permission"), "{said}");
    assert_eq!(app.server.state.db.tenant(&tenant).conversations(
        &portico_data::ConversationFilter::All,
        portico_data::Party { kind: portico_data::PersonKind::Staff, id: "nobody", name: "Nobody" },
        None,
        10,
    ).await.unwrap().len(), 1, "nothing was written while rendering");
}}

story! { async fn a_business_out_of_room_for_files_refuses_new_ones_and_keeps_the_words(app) {
    let tenant = app.demo_tenant_id().await;
    let db = app.server.state.db.tenant(&tenant);
    // The business's files already take all its room.
    let id = db.new_upload_id();
    db.record_form_upload(&portico_data::NewUpload {
        id: &id,
        plugin_id: "portico:messages",
        job_id: None,
        uploader: (portico_data::PersonKind::Staff, "someone", "Someone"),
        file_name: "archive.pdf",
        content_type: "application/pdf",
        size_bytes: portico_services::uploads::UPLOAD_QUOTA_BYTES,
        file_key: "uploads/none",
        thumbnail_key: None,
    })
    .await
    .unwrap();
    let (dana, job) = dana(&app).await;

    let refused = dana_writes(&app, &dana, &job, "Leak", "Water under the sink", vec![("leak.png", photo(), "image/png")]).await;
    let sent = dana_writes(&app, &dana, &job, "Leak", "Water under the sink", Vec::new()).await;

    assert_eq!(refused.status, 422, "{}", refused.text());
    assert!(refused.text_of("message-error").is_some_and(|said| said.contains("no room left for files")), "{}", refused.text());
    assert!(refused.body.contains(">Water under the sink</textarea>"), "the words are kept");
    assert_eq!(sent.status, 200, "without files it goes: {}", sent.text());
    assert_eq!(db.upload_bytes().await.unwrap(), portico_services::uploads::UPLOAD_QUOTA_BYTES, "no file was stored");
}}
