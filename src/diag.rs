//! Diagnostics: problems in a user's input, located and explained.
//!
//! Blueprint validation produces a list of [`Diagnostic`]s (every problem in one pass), each
//! with the file, a byte span, a message that says what to do, and an optional help line. The
//! CLI renders them with miette as `file:line:col` with a caret snippet; `--format json`
//! renders them as data.

use std::path::Path;
use std::sync::Arc;

use miette::{GraphicalReportHandler, GraphicalTheme, LabeledSpan, NamedSource, SourceSpan};
use serde::Serialize;

/// Where something starts in a source file (a YAML node, a diagnostic's
/// span): 1-based line and column, byte offset and byte length.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct Loc {
    pub line: u32,
    pub column: u32,
    pub offset: usize,
    pub len: usize,
}

/// A source file that diagnostics point into.
#[derive(Debug)]
pub struct SourceFile {
    pub path: String,
    named: NamedSource<String>,
}

impl SourceFile {
    pub fn new(path: &Path, text: String) -> Arc<Self> {
        let path = path.display().to_string();
        let named = NamedSource::new(&path, text).with_language("yaml");
        Arc::new(Self { path, named })
    }

    pub fn text(&self) -> &str {
        self.named.inner()
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Serialize)]
#[serde(rename_all = "lowercase")]
pub enum Severity {
    Error,
    Warning,
}

/// One problem in the input.
#[derive(Clone, Debug)]
pub struct Diagnostic {
    pub severity: Severity,
    pub message: String,
    pub source: Option<Arc<SourceFile>>,
    pub loc: Option<Loc>,
    /// A short note under the caret.
    pub label: Option<String>,
    pub help: Option<String>,
}

impl Diagnostic {
    pub fn error(message: impl Into<String>) -> Self {
        Self { severity: Severity::Error, message: message.into(), source: None, loc: None, label: None, help: None }
    }

    pub fn at(mut self, source: &Arc<SourceFile>, loc: Loc) -> Self {
        self.source = Some(source.clone());
        self.loc = Some(loc);
        self
    }

    pub fn label(mut self, label: impl Into<String>) -> Self {
        self.label = Some(label.into());
        self
    }

    pub fn help(mut self, help: impl Into<String>) -> Self {
        self.help = Some(help.into());
        self
    }

    /// `path:line:col`, or the path alone, or nothing.
    pub fn location(&self) -> Option<String> {
        match (&self.source, self.loc) {
            (Some(s), Some(l)) => Some(format!("{}:{}:{}", s.path, l.line, l.column)),
            (Some(s), None) => Some(s.path.clone()),
            _ => None,
        }
    }

    /// Renders with a caret snippet; `color` picks the theme.
    pub fn render(&self, color: bool) -> String {
        let theme = if color { GraphicalTheme::unicode() } else { GraphicalTheme::unicode_nocolor() };
        let handler = GraphicalReportHandler::new_themed(theme).with_width(100).with_context_lines(1);
        let mut out = String::new();
        let report = Renderable(self);
        handler.render_report(&mut out, &report).expect("rendering to a string cannot fail");
        out
    }
}

#[derive(Debug)]
struct Renderable<'a>(&'a Diagnostic);

impl std::fmt::Display for Renderable<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match (&self.0.source, self.0.loc) {
            (Some(_), Some(_)) => f.write_str(&self.0.message),
            _ => match self.0.location() {
                Some(l) => write!(f, "{l}: {}", self.0.message),
                None => f.write_str(&self.0.message),
            },
        }
    }
}

impl std::error::Error for Renderable<'_> {}

impl miette::Diagnostic for Renderable<'_> {
    fn severity(&self) -> Option<miette::Severity> {
        Some(match self.0.severity {
            Severity::Error => miette::Severity::Error,
            Severity::Warning => miette::Severity::Warning,
        })
    }

    fn help<'a>(&'a self) -> Option<Box<dyn std::fmt::Display + 'a>> {
        self.0.help.as_ref().map(|h| Box::new(h) as Box<dyn std::fmt::Display>)
    }

    fn source_code(&self) -> Option<&dyn miette::SourceCode> {
        self.0.loc?;
        self.0.source.as_ref().map(|s| &s.named as &dyn miette::SourceCode)
    }

    fn labels(&self) -> Option<Box<dyn Iterator<Item = LabeledSpan> + '_>> {
        let loc = self.0.loc?;
        self.0.source.as_ref()?;
        let span = SourceSpan::new(loc.offset.into(), loc.len.max(1));
        Some(Box::new(std::iter::once(LabeledSpan::new_with_span(self.0.label.clone(), span))))
    }
}

/// A diagnostic as JSON, for `validate --format json` and editors.
#[derive(Serialize)]
pub struct DiagnosticJson<'a> {
    pub severity: Severity,
    pub message: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file: Option<&'a str>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub line: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub column: Option<u32>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub help: Option<&'a str>,
}

impl<'a> From<&'a Diagnostic> for DiagnosticJson<'a> {
    fn from(d: &'a Diagnostic) -> Self {
        Self {
            severity: d.severity,
            message: &d.message,
            file: d.source.as_ref().map(|s| s.path.as_str()),
            line: d.loc.map(|l| l.line),
            column: d.loc.map(|l| l.column),
            help: d.help.as_deref(),
        }
    }
}
