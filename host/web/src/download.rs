//! Files as HTTP responses: inline or saved, sandboxed, never cached.

use axum::response::Response;

/// A generated PDF, shown inline.
pub fn pdf(title: &str, bytes: Vec<u8>) -> Response {
    inline_download(title, "application/pdf", bytes)
}

/// A file as a download: shown inline, never cached, and sandboxed, so that
/// whatever it holds runs no script in the portal's origin.
pub fn inline_download(title: &str, content_type: &str, bytes: impl Into<axum::body::Body>) -> axum::response::Response {
    let extension = match content_type {
        "application/pdf" => "pdf",
        "image/png" => "png",
        "image/jpeg" => "jpg",
        _ => "bin",
    };
    file_response("inline", &format!("{}.{extension}", safe_filename(title)), content_type, bytes)
}

/// A file the browser saves rather than shows (`name` already carries its extension).
pub fn attachment(name: &str, content_type: &str, bytes: impl Into<axum::body::Body>) -> axum::response::Response {
    file_response("attachment", name, content_type, bytes)
}

/// `title` with anything but letters, digits, spaces and dashes made `_`, fit for a header.
fn safe_filename(title: &str) -> String {
    title.chars().map(|c| if c.is_ascii_alphanumeric() || c == ' ' || c == '-' { c } else { '_' }).collect()
}

fn file_response(disposition: &str, filename: &str, content_type: &str, bytes: impl Into<axum::body::Body>) -> axum::response::Response {
    use axum::http::header;
    use axum::response::IntoResponse;
    let headers = [
        (header::CONTENT_TYPE, content_type.to_string()),
        (header::CONTENT_DISPOSITION, format!("{disposition}; filename=\"{filename}\"")),
        (header::CONTENT_SECURITY_POLICY, "sandbox".to_string()),
        (header::CACHE_CONTROL, "private, no-store".to_string()),
    ];
    (headers, bytes.into()).into_response()
}

