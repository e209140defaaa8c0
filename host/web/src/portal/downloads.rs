//! Files a section asks for (`outcome.download`): the host writes them from
//! the section's table, so a plugin never sends bytes of its own. CSV cells
//! are quoted and defused (a spreadsheet runs `=`, `+`, `-`, `@` as formulas);
//! PDFs are the host's own plain documents.

use portico_sections::bindings::cards::{Download, DownloadFormat};
use portico_core::text::clamp;
use axum::response::Response;

const MAX_COLUMNS: usize = 20;
const MAX_ROWS: usize = 2000;
const MAX_CELL_BYTES: usize = 2000;
const MAX_NOTES: usize = 50;

/// The file the section asked for, as a response the browser saves.
pub fn respond(download: Download) -> Response {
    let name = stem(&download.filename);
    let columns: Vec<String> = download.columns.iter().take(MAX_COLUMNS).map(|c| clamp(c, 200)).collect();
    let rows: Vec<Vec<String>> = download
        .rows
        .iter()
        .take(MAX_ROWS)
        .map(|row| (0..columns.len()).map(|i| clamp(row.get(i).map(String::as_str).unwrap_or_default(), MAX_CELL_BYTES)).collect())
        .collect();
    match download.format {
        DownloadFormat::Csv => crate::download::attachment(&format!("{name}.csv"), "text/csv; charset=utf-8", csv(&columns, &rows)),
        DownloadFormat::Pdf => {
            let title = clamp(&download.title, 200);
            let mut lines: Vec<String> = download.notes.iter().take(MAX_NOTES).map(|n| clamp(n, MAX_CELL_BYTES)).collect();
            for row in &rows {
                lines.push(String::new());
                lines.extend(columns.iter().zip(row).filter(|(_, cell)| !cell.is_empty()).map(|(column, cell)| format!("{column}: {cell}")));
            }
            let refs: Vec<&str> = lines.iter().map(String::as_str).collect();
            crate::download::attachment(&format!("{name}.pdf"), "application/pdf", portico_services::pdf::simple_pdf(&title, &refs))
        }
    }
}

/// The file name's stem: letters, digits, `-` and `_`, at most 80; `download` when nothing is left.
fn stem(raw: &str) -> String {
    let stem: String = raw.chars().take(80).map(|c| if c.is_ascii_alphanumeric() || c == '-' || c == '_' { c } else { '-' }).collect();
    if stem.trim_matches('-').is_empty() { "download".into() } else { stem }
}

/// RFC 4180: every cell quoted, quotes doubled, CRLF between records.
fn csv(columns: &[String], rows: &[Vec<String>]) -> String {
    std::iter::once(columns)
        .chain(rows.iter().map(Vec::as_slice))
        .map(|record| record.iter().map(|value| cell(value)).collect::<Vec<_>>().join(","))
        .map(|line| line + "\r\n")
        .collect()
}

/// One quoted cell; one a spreadsheet would run as a formula starts with `'`.
fn cell(value: &str) -> String {
    let defused = if value.starts_with(['=', '+', '-', '@', '\t', '\r']) { format!("'{value}") } else { value.to_string() };
    format!("\"{}\"", defused.replace('"', "\"\""))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cells_are_quoted_and_formulas_defused() {
        let columns = vec!["Item".to_string(), "Credit".to_string()];
        let rows = vec![vec!["Say \"hi\", then".to_string(), "=HYPERLINK(\"http://x\")".to_string()], vec!["-2+3".into(), "@SUM(A1)".into()]];
        assert_eq!(
            csv(&columns, &rows),
            "\"Item\",\"Credit\"\r\n\"Say \"\"hi\"\", then\",\"'=HYPERLINK(\"\"http://x\"\")\"\r\n\"'-2+3\",\"'@SUM(A1)\"\r\n"
        );
    }

    #[test]
    fn file_names_keep_only_safe_characters() {
        assert_eq!(stem("repair-list_1428 Elm/../x"), "repair-list_1428-Elm----x");
        assert_eq!(stem("\"; rm"), "---rm");
        assert_eq!(stem("///"), "download");
    }
}
