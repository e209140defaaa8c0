//! A small PDF writer for the documents the host generates (invoices,
//! receipts, the demo's report): Helvetica text, wrapped and paginated on US
//! Letter pages, with byte offsets computed for the xref table. Text outside
//! ASCII is transliterated where there is an obvious equivalent.

const PAGE_TOP: i64 = 760;
const FIRST_LINE: i64 = 720;
const BOTTOM: i64 = 60;
const LINE_HEIGHT: i64 = 15;
/// Characters per line at 11 pt across the 500-point text width.
const WRAP_AT: usize = 88;

/// A PDF with a title and lines of text, over as many pages as it takes.
pub fn simple_pdf(title: &str, lines: &[&str]) -> Vec<u8> {
    let mut pages: Vec<String> = Vec::new();
    let mut page = format!("BT /F2 18 Tf 56 {PAGE_TOP} Td ({}) Tj ET\n", escape(title));
    let mut y = FIRST_LINE;
    for line in lines.iter().flat_map(|line| wrap(line)) {
        if y < BOTTOM {
            pages.push(std::mem::take(&mut page));
            y = PAGE_TOP;
        }
        // A line that starts with "# " is a heading.
        let (font, text) = match line.strip_prefix("# ") {
            Some(heading) => ("/F2 12", heading.to_string()),
            None => ("/F1 11", line),
        };
        page.push_str(&format!("BT {font} Tf 56 {y} Td ({}) Tj ET\n", escape(&text)));
        y -= LINE_HEIGHT;
    }
    pages.push(page);

    // Objects: 1 catalog, 2 pages, 3 regular font, 4 bold font, then a page
    // and its content stream for each page.
    let page_count = pages.len();
    let kids: Vec<String> = (0..page_count).map(|i| format!("{} 0 R", 5 + 2 * i)).collect();
    let mut objects = vec![
        "<< /Type /Catalog /Pages 2 0 R >>".to_string(),
        format!("<< /Type /Pages /Kids [{}] /Count {page_count} >>", kids.join(" ")),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica /Encoding /WinAnsiEncoding >>".to_string(),
        "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica-Bold /Encoding /WinAnsiEncoding >>".to_string(),
    ];
    for (i, content) in pages.iter().enumerate() {
        objects.push(format!(
            "<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Contents {} 0 R /Resources << /Font << /F1 3 0 R /F2 4 0 R >> >> >>",
            6 + 2 * i
        ));
        objects.push(format!("<< /Length {} >>\nstream\n{content}endstream", content.len()));
    }
    let mut pdf = b"%PDF-1.4\n".to_vec();
    let mut offsets = Vec::new();
    for (i, object) in objects.iter().enumerate() {
        offsets.push(pdf.len());
        pdf.extend_from_slice(format!("{} 0 obj\n{object}\nendobj\n", i + 1).as_bytes());
    }
    let xref = pdf.len();
    pdf.extend_from_slice(format!("xref\n0 {}\n0000000000 65535 f \n", objects.len() + 1).as_bytes());
    for offset in offsets {
        pdf.extend_from_slice(format!("{offset:010} 00000 n \n").as_bytes());
    }
    pdf.extend_from_slice(format!("trailer\n<< /Size {} /Root 1 0 R >>\nstartxref\n{xref}\n%%EOF\n", objects.len() + 1).as_bytes());
    pdf
}

/// Split a line into pieces that fit the page, at spaces where possible.
fn wrap(line: &str) -> Vec<String> {
    let (prefix, rest) = match line.strip_prefix("# ") {
        Some(rest) => ("# ", rest),
        None => ("", line),
    };
    let mut out = Vec::new();
    let mut current = String::new();
    for word in rest.split(' ') {
        let extra = if current.is_empty() { 0 } else { 1 };
        if current.chars().count() + extra + word.chars().count() > WRAP_AT && !current.is_empty() {
            out.push(std::mem::take(&mut current));
        }
        if !current.is_empty() {
            current.push(' ');
        }
        current.push_str(word);
        while current.chars().count() > WRAP_AT {
            let cut: String = current.chars().take(WRAP_AT).collect();
            current = current.chars().skip(WRAP_AT).collect();
            out.push(cut);
        }
    }
    out.push(current);
    out.into_iter().map(|piece| format!("{prefix}{piece}")).collect()
}

/// PDF string escaping, with non-ASCII text mapped to its plain equivalent.
fn escape(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    for c in text.chars() {
        let plain = match c {
            '(' | ')' | '\\' => {
                out.push('\\');
                c
            }
            '\u{2013}' | '\u{2014}' | '\u{2212}' => '-',
            '\u{2018}' | '\u{2019}' => '\'',
            '\u{201C}' | '\u{201D}' => '"',
            '\u{00B7}' | '\u{2022}' => '-',
            '\u{00A0}' => ' ',
            c if c.is_ascii() && !c.is_ascii_control() => c,
            _ => '?',
        };
        out.push(plain);
    }
    out
}


#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn long_text_wraps_and_paginates() {
        let long = "word ".repeat(60);
        let lines: Vec<&str> = std::iter::repeat_n(long.as_str(), 40).collect();
        let pdf = String::from_utf8_lossy(&simple_pdf("Title (draft)", &lines)).to_string();
        assert!(pdf.starts_with("%PDF-1.4"));
        assert!(pdf.contains("Title \\(draft\\)"));
        let pages = pdf.matches("/Type /Page ").count();
        assert!(pages >= 2, "{pages} pages");
        assert!(pdf.contains(&format!("/Count {pages}")));
        assert!(wrap(&long).iter().all(|piece| piece.chars().count() <= WRAP_AT));
        assert_eq!(escape("Fee — paid · “ok”"), "Fee - paid - \"ok\"");
    }
}
