//! Pages travel compressed when the browser asks (issue 16, item 13), and
//! compression gives away no secret: the one a page repeats, its form token,
//! reads differently on every page and each copy still works.

/// What the server sent for `path` when the browser accepts `encodings`:
/// (its `Content-Encoding`, the bytes on the wire).
async fn fetch(app: &portico_tests::TestApp, path: &str, encodings: Option<&str>) -> (Option<String>, usize) {
    // A client that does not decompress, so the wire is what we read.
    let http = reqwest::Client::new();
    let mut request = http.get(app.url(path));
    if let Some(encodings) = encodings {
        request = request.header("accept-encoding", encodings);
    }
    let response = request.send().await.unwrap();
    assert_eq!(response.status(), 200, "{path}");
    let encoding = response.headers().get("content-encoding").map(|v| v.to_str().unwrap().to_string());
    (encoding, response.bytes().await.unwrap().len())
}

story! { async fn the_stylesheet_and_pages_are_compressed_when_the_browser_asks(app) {
    let (plain, plain_bytes) = fetch(&app, "/static/portico.css", None).await;
    let (gzip, gzip_bytes) = fetch(&app, "/static/portico.css", Some("gzip")).await;
    let (brotli, brotli_bytes) = fetch(&app, "/static/portico.css", Some("gzip, deflate, br")).await;
    let (sign_in, _) = fetch(&app, "/staff/login", Some("gzip")).await;

    assert_eq!(plain, None, "nothing asked, nothing compressed");
    assert_eq!(gzip.as_deref(), Some("gzip"));
    assert_eq!(brotli.as_deref(), Some("br"), "Brotli when offered");
    assert!(gzip_bytes * 2 < plain_bytes && brotli_bytes * 2 < plain_bytes, "{plain_bytes} → gzip {gzip_bytes}, br {brotli_bytes}");
    assert_eq!(sign_in.as_deref(), Some("gzip"), "pages too");
}}

story! { async fn a_pages_form_token_reads_differently_each_time_and_each_copy_works(app) {
    let owner = app.owner().await;
    let first = owner.get(&app.url("/staff/webhooks")).await.hidden("csrf").unwrap();
    let second = owner.get(&app.url("/staff/webhooks")).await.hidden("csrf").unwrap();

    let with_first = owner.post(&app.url("/staff/webhooks"), &[
        ("csrf", first.as_str()), ("url", "https://hooks.example.com/first"), ("description", "First"), ("event", "job.created"),
    ]).await;
    let with_second = owner.post(&app.url("/staff/webhooks"), &[
        ("csrf", second.as_str()), ("url", "https://hooks.example.com/second"), ("description", "Second"), ("event", "job.created"),
    ]).await;
    // The first copy with its last hex digit changed: the right length, the wrong token.
    let last = if first.ends_with('0') { "1" } else { "0" };
    let forged_token = format!("{}{last}", &first[..first.len() - 1]);
    let forged = owner.post(&app.url("/staff/webhooks"), &[
        ("csrf", &forged_token), ("url", "https://hooks.example.com/third"), ("description", "Third"), ("event", "job.created"),
    ]).await;

    assert_ne!(first, second, "the token is masked afresh on every page");
    assert!(with_first.text().contains("hooks.example.com/first"), "{}", with_first.text());
    assert!(with_second.text().contains("hooks.example.com/second"), "{}", with_second.text());
    assert_eq!(forged.status, 403, "{}", forged.text());
}}
