//! Files from a section's form: the client attaches photos of a problem from
//! their phone, the host checks each by its bytes, keeps a photo without its
//! location and makes a thumbnail, and the section keeps only the ids. Files
//! that lie about their type or are too large are refused beside their input,
//! with everything typed kept.

use portico_sections::Grants;
use portico_tests::{hostile_plugin, Page, TestApp, Visitor};
use reqwest::multipart::{Form, Part};

/// Where the photo was taken, as a phone writes it into the photo's EXIF.
const LOCATION: &str = "GPS 41.878113 N 87.629799 W";

pub(crate) async fn install_help_desk(app: &TestApp) {
    let tenant = app.demo_tenant_id().await;
    app.server.state.sections.install_upload(&tenant, hostile_plugin("portico-test-help-desk"), Grants::AllRequested, "{}").await.unwrap();
}

/// A small JPEG photo carrying `LOCATION` in its EXIF metadata.
pub(crate) fn photo_with_location() -> Vec<u8> {
    use image::ImageEncoder;
    // A little-endian TIFF header and one IFD entry: ImageDescription (0x010e), ASCII.
    let text = format!("{LOCATION}\0");
    let mut exif = b"II\x2a\0\x08\0\0\0\x01\0\x0e\x01\x02\0".to_vec();
    exif.extend_from_slice(&(text.len() as u32).to_le_bytes());
    exif.extend_from_slice(&26u32.to_le_bytes());
    exif.extend_from_slice(&[0, 0, 0, 0]);
    exif.extend_from_slice(text.as_bytes());
    let pixels: Vec<u8> = (0..64 * 48 * 3).map(|i| (i % 251) as u8).collect();
    let mut jpeg = Vec::new();
    let mut encoder = image::codecs::jpeg::JpegEncoder::new(&mut jpeg);
    encoder.set_exif_metadata(exif).unwrap();
    encoder.write_image(&pixels, 64, 48, image::ExtendedColorType::Rgb8).unwrap();
    jpeg
}

/// Dana on her job's Problems tab.
pub(crate) async fn problems_tab(app: &TestApp) -> (Visitor, Page) {
    let dana = Visitor::new();
    let job = dana.get(&app.links.client).await.job_path();
    let tab = dana.get(&app.url(&format!("{job}?tab=problems"))).await;
    (dana, tab)
}

/// Send the report form of `page` with `text` and the given files.
pub(crate) async fn report(app: &TestApp, visitor: &Visitor, page: &Page, text: &str, files: Vec<(&str, &str, Vec<u8>, &str)>) -> Page {
    let mut form = Form::new()
        .text("_portico_csrf", page.hidden("_portico_csrf").unwrap())
        .text("_portico_plugin", "help-desk")
        .text("_portico_card", "report")
        .text("_portico_action", "report")
        .text("_portico_tab", "problems")
        .text("_portico_file.photos", page.hidden("_portico_file.photos").expect("the rules of the photos input"))
        .text("_portico_file.receipt", page.hidden("_portico_file.receipt").expect("the rules of the receipt input"))
        .text("text", text.to_string());
    for (input, name, bytes, claimed) in files {
        form = form.part(input.to_string(), Part::bytes(bytes).file_name(name.to_string()).mime_str(claimed).unwrap());
    }
    visitor.upload_form(&app.url(&format!("{}/actions", page.job_path())), form).await
}

/// The files the page links to (`/files/{id}`), in order.
pub(crate) fn file_links(page: &Page) -> Vec<String> {
    page.body.split("href=\"/files/").skip(1).filter_map(|rest| rest.split('"').next()).map(|id| format!("/files/{id}")).collect()
}

story! { async fn a_client_sends_photos_and_the_office_sees_them_without_their_location(app) {
    install_help_desk(&app).await;
    let (dana, tab) = problems_tab(&app).await;
    let photo = photo_with_location();
    assert!(String::from_utf8_lossy(&photo).contains(LOCATION), "the photo as the phone sent it holds where it was taken");

    let sent = report(&app, &dana, &tab, "Water under the kitchen sink", vec![("photos", "IMG_2041.JPG", photo, "image/jpeg")]).await;

    assert!(sent.text().contains("Thank you: your report and 1 files are with the office."), "{}", sent.text());
    let links = file_links(&sent);
    assert_eq!(links.len(), 1, "{}", sent.body);
    assert!(sent.body.contains(&format!("src=\"{}/thumbnail\"", links[0])), "the card shows the thumbnail: {}", sent.body);
    let stored = reqwest_bytes(&dana, &app.url(&links[0])).await;
    assert_eq!((stored.0, stored.1.as_str()), (200, "image/jpeg"));
    assert!(stored.2.starts_with(&[0xff, 0xd8, 0xff]), "a JPEG");
    let text = String::from_utf8_lossy(&stored.2);
    assert!(!text.contains(LOCATION) && !text.contains("Exif"), "nothing of the photo's metadata is kept");
    let thumbnail = reqwest_bytes(&dana, &app.url(&format!("{}/thumbnail", links[0]))).await;
    assert_eq!((thumbnail.0, thumbnail.1.as_str()), (200, "image/jpeg"));

    // The office opens it from the job's console page; an agent and a stranger cannot.
    let owner = app.owner().await;
    let job = tab.job_path();
    let console = owner.get(&app.url(&format!("/staff{job}"))).await;
    assert!(console.text().contains("Water under the kitchen sink") && file_links(&console) == links, "{}", console.text());
    assert_eq!(reqwest_bytes(&owner, &app.url(&links[0])).await.0, 200);
    let agent = Visitor::new();
    agent.get(&app.links.buyer_agent).await;
    assert_eq!(reqwest_bytes(&agent, &app.url(&links[0])).await.0, 404, "the agent does not see what the client sent the office");
    let agent_tab = agent.get(&app.url(&format!("{job}?tab=problems"))).await;
    assert!(file_links(&agent_tab).is_empty(), "nor does the section show it to them: {}", agent_tab.body);
    assert_eq!(reqwest_bytes(&Visitor::new(), &app.url(&links[0])).await.0, 404);
}}

story! { async fn files_that_lie_or_are_too_large_are_refused_with_what_was_typed_kept(app) {
    install_help_desk(&app).await;
    let (dana, tab) = problems_tab(&app).await;
    let page = b"<!doctype html><script>document.location='https://evil.example'</script>".to_vec();
    let mut huge = vec![0xff, 0xd8, 0xff, 0xe0];
    huge.resize(40 * 1024 * 1024, 0);
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(2 * 1024 * 1024, b' ');

    let lying = report(&app, &dana, &tab, "Cracked tile by the door", vec![("photos", "leak.jpg", page, "image/jpeg")]).await;
    let too_large = report(&app, &dana, &tab, "Cracked tile by the door", vec![("photos", "huge.jpg", huge, "image/jpeg")]).await;
    let long_receipt = report(&app, &dana, &tab, "Cracked tile by the door", vec![("receipt", "receipt.pdf", pdf, "application/pdf")]).await;
    let not_a_pdf = report(&app, &dana, &tab, "Cracked tile by the door", vec![("receipt", "receipt.pdf", photo_with_location(), "application/pdf")]).await;

    for (page, message) in [
        (&lying, "“leak.jpg” is not a photo (JPEG or PNG). Choose a photo (JPEG or PNG)."),
        (&too_large, "“huge.jpg” is 40 MB; files here may be at most 10 MB."),
        (&long_receipt, "“receipt.pdf” is 2 MB; files here may be at most 1 MB."),
        (&not_a_pdf, "“receipt.pdf” is not a PDF. Choose a PDF."),
    ] {
        assert_eq!(page.status, 200, "{}", page.text());
        assert_eq!(page.text_of("notice-help-desk-report").as_deref(), Some(message), "{}", page.text());
        assert!(page.body.contains(">Cracked tile by the door</textarea>"), "what was typed is kept: {}", page.body);
        let input = if message.contains("receipt") { "receipt" } else { "photos" };
        assert!(input_tag(page, input).contains("aria-invalid=\"true\""), "the file input is marked: {}", page.body);
        assert!(file_links(page).is_empty() && !page.text().contains("You reported"), "nothing reached the section");
    }
}}

/// The `<input>` tag of the report card's input `name`.
fn input_tag(page: &Page, name: &str) -> String {
    let start = page.body.find(&format!("<input id=\"in-help-desk-report-{name}\"")).unwrap_or_else(|| panic!("the {name} input: {}", page.body));
    page.body[start..].split('>').next().unwrap().to_string()
}

story! { async fn the_host_takes_only_the_files_the_section_asked_for(app) {
    install_help_desk(&app).await;
    let (dana, tab) = problems_tab(&app).await;
    let first = report(&app, &dana, &tab, "Loose handrail", vec![("photos", "rail.jpg", photo_with_location(), "image/jpeg")]).await;
    let id = file_links(&first)[0].trim_start_matches("/files/").to_string();
    let tab = dana.get(&tab.url).await;
    let signed = tab.hidden("_portico_file.receipt").unwrap();
    let signature = signed.rsplit_once('.').unwrap().1.to_string();

    // Rules widened by hand (a photo where only a PDF goes, 25 MiB), the
    // signature copied from the page.
    let mut widened = Form::new()
        .text("_portico_csrf", tab.hidden("_portico_csrf").unwrap())
        .text("_portico_plugin", "help-desk")
        .text("_portico_card", "report")
        .text("_portico_action", "report")
        .text("_portico_tab", "problems")
        .text("_portico_file.receipt", format!("photo+pdf:26214400:1.{signature}"))
        .text("text", "Loose handrail");
    widened = widened.part("receipt", Part::bytes(photo_with_location()).file_name("receipt.jpg"));
    let forged = dana.upload_form(&app.url(&format!("{}/actions", tab.job_path())), widened).await;
    // An upload id typed in as the receipt's value, and two receipts for an input that takes one.
    let typed = dana.upload_form(
        &app.url(&format!("{}/actions", tab.job_path())),
        Form::new()
            .text("_portico_csrf", tab.hidden("_portico_csrf").unwrap())
            .text("_portico_plugin", "help-desk")
            .text("_portico_card", "report")
            .text("_portico_action", "report")
            .text("_portico_tab", "problems")
            .text("_portico_file.receipt", signed.clone())
            .text("receipt", id.clone())
            .text("text", "Loose handrail"),
    ).await;
    let mut pdf = b"%PDF-1.7\n".to_vec();
    pdf.resize(1000, b' ');
    let two = report(&app, &dana, &tab, "Loose handrail", vec![("receipt", "a.pdf", pdf.clone(), "application/pdf"), ("receipt", "b.pdf", pdf, "application/pdf")]).await;

    assert_eq!(forged.text_of("notice-help-desk-report").as_deref(), Some("This form takes no file here."), "{}", forged.text());
    assert!(typed.text().contains("your report and 0 files"), "a typed id is not a file: {}", typed.text());
    assert_eq!(two.text_of("notice-help-desk-report").as_deref(), Some("Choose one file."), "{}", two.text());
}}

/// GET `url` as `visitor`: status, content type and body bytes.
async fn reqwest_bytes(visitor: &Visitor, url: &str) -> (u16, String, Vec<u8>) {
    visitor.get_raw(url).await
}

story! { async fn only_a_form_with_files_may_be_large(app) {
    install_help_desk(&app).await;
    let (dana, tab) = problems_tab(&app).await;
    let essay = "a".repeat(2 * 1024 * 1024);

    let posted = dana.act(&tab, "help-desk", "report", "report", &[("text", essay.as_str())]).await;

    assert_eq!(posted.status, 400);
    assert!(posted.text().contains("The form is larger than 1024 KiB"), "{}", posted.text());
}}
