//! A small element tree and its one serialiser, for the SVG and HTML socform writes.
//!
//! Element and attribute names are `&'static str`, so only socform's code names them; every
//! value and every text, which may come from a blueprint, is escaped here and nowhere else.
//! Why not a crate: the whole need is this writer (no parsing, no namespaces, no streaming),
//! and the XML crates would add a dependency to every build for it (see ARCHITECTURE.md).

/// One element: its name, attributes in the order given, and children.
#[derive(Debug, Clone, PartialEq)]
pub struct El {
    name: &'static str,
    attrs: Vec<(&'static str, String)>,
    children: Vec<Child>,
}

#[derive(Debug, Clone, PartialEq)]
enum Child {
    El(El),
    Text(String),
    /// Text written as is: only for the `<style>` and `<script>` socform itself wrote, never
    /// for anything read from a blueprint or AWS.
    Raw(&'static str),
}

impl El {
    pub fn new(name: &'static str) -> El {
        El { name, attrs: vec![], children: vec![] }
    }

    pub fn attr(mut self, name: &'static str, value: impl ToString) -> El {
        self.attrs.push((name, value.to_string()));
        self
    }

    pub fn child(mut self, c: El) -> El {
        self.children.push(Child::El(c));
        self
    }

    pub fn children(mut self, cs: impl IntoIterator<Item = El>) -> El {
        self.children.extend(cs.into_iter().map(Child::El));
        self
    }

    pub fn text(mut self, t: impl Into<String>) -> El {
        self.children.push(Child::Text(t.into()));
        self
    }

    /// Socform's own constant text (a style sheet), not escaped.
    pub fn raw(mut self, t: &'static str) -> El {
        self.children.push(Child::Raw(t));
        self
    }

    pub fn push(&mut self, c: El) {
        self.children.push(Child::El(c));
    }

    /// The element as text. `void` names elements written without a closing tag (HTML's
    /// `meta`); every other childless element is closed as `<x/>` in SVG, `<x></x>` in HTML.
    pub fn write(&self, out: &mut String, html: bool) {
        out.push('<');
        out.push_str(self.name);
        for (k, v) in &self.attrs {
            out.push(' ');
            out.push_str(k);
            out.push_str("=\"");
            escape(v, true, out);
            out.push('"');
        }
        if self.children.is_empty() {
            match (html, VOID.contains(&self.name)) {
                (true, true) => out.push('>'),
                (true, false) => {
                    out.push_str("></");
                    out.push_str(self.name);
                    out.push('>');
                }
                (false, _) => out.push_str("/>"),
            }
            return;
        }
        out.push('>');
        for c in &self.children {
            match c {
                Child::El(e) => e.write(out, html),
                Child::Text(t) => escape(t, false, out),
                Child::Raw(t) => out.push_str(t),
            }
        }
        out.push_str("</");
        out.push_str(self.name);
        out.push('>');
    }

    pub fn to_svg(&self) -> String {
        let mut out = String::from("<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        self.write(&mut out, false);
        out.push('\n');
        out
    }

    pub fn to_html(&self) -> String {
        let mut out = String::from("<!DOCTYPE html>\n");
        self.write(&mut out, true);
        out.push('\n');
        out
    }
}

const VOID: [&str; 4] = ["meta", "br", "link", "img"];

/// Escapes text for an attribute value (quotes too) or element content. Characters XML 1.0
/// does not allow at all (most C0 controls) are dropped.
fn escape(s: &str, attr: bool, out: &mut String) {
    for c in s.chars() {
        match c {
            '&' => out.push_str("&amp;"),
            '<' => out.push_str("&lt;"),
            '>' => out.push_str("&gt;"),
            '"' if attr => out.push_str("&quot;"),
            '\'' if attr => out.push_str("&#39;"),
            '\n' if attr => out.push_str("&#10;"),
            '\t' | '\n' | '\r' => out.push(c),
            c if (c as u32) < 0x20 || c == '\u{FFFE}' || c == '\u{FFFF}' => {}
            c => out.push(c),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_and_text_is_escaped() {
        let e = El::new("g").attr("id", r#"a"b'<c>&"#).child(El::new("text").text("</text><script>x</script>\u{1}"));
        let mut out = String::new();
        e.write(&mut out, false);
        assert_eq!(
            out,
            r#"<g id="a&quot;b&#39;&lt;c&gt;&amp;"><text>&lt;/text&gt;&lt;script&gt;x&lt;/script&gt;</text></g>"#
        );
        let mut html = String::new();
        El::new("p").child(El::new("meta").attr("charset", "utf-8")).child(El::new("span")).write(&mut html, true);
        assert_eq!(html, r#"<p><meta charset="utf-8"><span></span></p>"#);
    }
}
