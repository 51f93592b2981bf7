//! HTML escaping and a tiny string builder for server-side rendering.
//!
//! Printer names, descriptions and error messages come from devices on the
//! LAN and must never be interpreted as markup. Every dynamic value goes
//! through [`Esc`], which escapes for both text and quoted attribute contexts,
//! so one rule covers all uses.

use std::fmt::{self, Write as _};

/// Displays a string with `& < > " '` escaped.
#[derive(Debug, Clone, Copy)]
pub struct Esc<'a>(pub &'a str);

impl fmt::Display for Esc<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut rest = self.0;
        while let Some(pos) = rest.find(['&', '<', '>', '"', '\'']) {
            f.write_str(&rest[..pos])?;
            let entity = match rest.as_bytes()[pos] {
                b'&' => "&amp;",
                b'<' => "&lt;",
                b'>' => "&gt;",
                b'"' => "&quot;",
                _ => "&#39;",
            };
            f.write_str(entity)?;
            rest = &rest[pos + 1..];
        }
        f.write_str(rest)
    }
}

/// An HTML document being written.
#[derive(Debug, Default)]
pub struct Html {
    buf: String,
}

impl Html {
    /// An empty document with room for a typical page.
    pub fn new() -> Self {
        Self {
            buf: String::with_capacity(16 * 1024),
        }
    }

    /// Appends trusted markup as is.
    pub fn raw(&mut self, markup: &str) {
        self.buf.push_str(markup);
    }

    /// Appends text, escaped.
    pub fn text(&mut self, text: &str) {
        // Writing into a String cannot fail.
        let _ = write!(self.buf, "{}", Esc(text));
    }

    /// Appends formatted markup; dynamic values inside must be wrapped in [`Esc`].
    pub fn fmt(&mut self, args: fmt::Arguments<'_>) {
        // Writing into a String cannot fail.
        let _ = self.buf.write_fmt(args);
    }

    /// The finished document.
    pub fn finish(self) -> String {
        self.buf
    }
}

/// `h!(html, "<p>{}</p>", Esc(x))`: formatted markup into an [`Html`].
macro_rules! h {
    ($html:expr, $($arg:tt)*) => {
        $html.fmt(format_args!($($arg)*))
    };
}
pub(crate) use h;

/// Percent-encodes `s` for a URL: letters, digits, `-._~` and the bytes in
/// `keep` stay as they are (`b"/"` for a path, nothing for one segment or a
/// query value). Serials and filters come from printers and people.
pub fn percent_encode(s: &str, keep: &[u8]) -> String {
    let mut out = String::with_capacity(s.len());
    for b in s.bytes() {
        if b.is_ascii_alphanumeric() || b"-._~".contains(&b) || keep.contains(&b) {
            out.push(char::from(b));
        } else {
            out.push_str(&format!("%{b:02X}"));
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn escapes_markup_and_quotes() {
        assert_eq!(
            Esc("<script>alert('x') & \"y\"</script>").to_string(),
            "&lt;script&gt;alert(&#39;x&#39;) &amp; &quot;y&quot;&lt;/script&gt;"
        );
        assert_eq!(Esc("plain é ü").to_string(), "plain é ü");
        assert_eq!(Esc("").to_string(), "");
    }

    #[test]
    fn builder_escapes_text_only() {
        let mut html = Html::new();
        html.raw("<b>");
        html.text("a<b");
        h!(html, "</b><i title=\"{}\">", Esc("\"q\""));
        assert_eq!(html.finish(), "<b>a&lt;b</b><i title=\"&quot;q&quot;\">");
    }
}
