//! What a file is, told by its first bytes, never by its name or the type
//! the browser claims: an HTML page named `photo.jpg` is HTML.

/// A kind of file the host recognises.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sniffed {
    Jpeg,
    Png,
    Webp,
    Pdf,
    /// A HEIC/HEIF photo (an iPhone's own format), recognised so that it can
    /// be refused with a helpful message: no well-kept pure-Rust decoder exists.
    Heic,
}

impl Sniffed {
    /// The kind of `bytes`, if it is one the host recognises.
    pub fn of(bytes: &[u8]) -> Option<Sniffed> {
        if bytes.starts_with(b"\x89PNG\r\n\x1a\n") {
            Some(Sniffed::Png)
        } else if bytes.starts_with(&[0xff, 0xd8, 0xff]) {
            Some(Sniffed::Jpeg)
        } else if bytes.len() > 12 && &bytes[..4] == b"RIFF" && &bytes[8..12] == b"WEBP" {
            Some(Sniffed::Webp)
        } else if bytes.starts_with(b"%PDF-") {
            Some(Sniffed::Pdf)
        } else if bytes.len() > 12 && &bytes[4..8] == b"ftyp" && matches!(&bytes[8..12], b"heic" | b"heix" | b"heim" | b"heis" | b"hevc" | b"mif1" | b"msf1") {
            Some(Sniffed::Heic)
        } else {
            None
        }
    }

    pub fn content_type(self) -> &'static str {
        match self {
            Sniffed::Jpeg => "image/jpeg",
            Sniffed::Png => "image/png",
            Sniffed::Webp => "image/webp",
            Sniffed::Pdf => "application/pdf",
            Sniffed::Heic => "image/heic",
        }
    }

    pub fn extension(self) -> &'static str {
        match self {
            Sniffed::Jpeg => "jpg",
            Sniffed::Png => "png",
            Sniffed::Webp => "webp",
            Sniffed::Pdf => "pdf",
            Sniffed::Heic => "heic",
        }
    }
}

#[cfg(test)]
mod tests {
    use super::Sniffed;

    #[test]
    fn the_bytes_decide_not_the_name() {
        assert_eq!(Sniffed::of(b"\xff\xd8\xff\xe0\0\x10JFIF"), Some(Sniffed::Jpeg));
        assert_eq!(Sniffed::of(b"%PDF-1.7\n"), Some(Sniffed::Pdf));
        assert_eq!(Sniffed::of(b"\0\0\0\x18ftypheic\0\0\0\0"), Some(Sniffed::Heic));
        assert_eq!(Sniffed::of(b"<!doctype html><script>alert(1)</script>"), None);
        assert_eq!(Sniffed::of(b""), None);
    }
}
