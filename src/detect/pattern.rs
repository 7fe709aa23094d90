//! CloudWatch Logs filter patterns: a parser and an evaluator, offline.
//!
//! Three forms, as AWS documents them:
//! - **Terms** (unstructured events): `ERROR ARGUMENTS` (all terms), `?ERROR ?WARN` (any),
//!   `ERROR -ARGUMENTS` (exclusion), `"INTERNAL SERVER ERROR"` (exact phrase), `%regex%`.
//!   Terms match as case-sensitive substrings. `""` and `" "` match every event.
//! - **JSON** (`{ ... }`): selectors `$.a.b`, `$.a[0]`, `$.a[0][1]`; `=`, `!=`, `<`, `<=`, `>`,
//!   `>=` against strings (quoted or bare, `*` wildcards), numbers (exponents allowed) or
//!   `%regex%`; `IS NULL`, `IS TRUE`, `IS FALSE`, `NOT EXISTS`; `&&`, `||` and parentheses,
//!   `&&` binding tighter than `||`. A comparison on a field that is absent is false.
//! - **Space-delimited** (`[ip, user, ..., status_code = 4*, bytes > 1000]`): fields split
//!   on spaces, with `"..."` and `[...]` each one field; `...` stands for any number of
//!   fields; a field may carry conditions joined by `&&` and `||`. Named fields are returned
//!   as extracted values (`$status_code`), as TestMetricFilter does.
//!
//! Regular expressions (`%...%`) use a restricted character set, at most 250 characters and
//! two per pattern. Parse errors say the 1-based column.
//!
//! **Architecture Invariant:** pure: a pattern and an event in, a verdict out.

use std::collections::BTreeMap;
use std::fmt;

use regex::Regex;
use serde_json::Value;

/// A parsed filter pattern.
#[derive(Debug, Clone)]
pub enum Pattern {
    /// Matches every event.
    All,
    Terms(Vec<Term>),
    Json(Expr),
    Space(Vec<Field>),
}

#[derive(Debug, Clone)]
pub struct Term {
    pub kind: TermKind,
    pub matcher: Matcher,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TermKind {
    Required,
    Optional,
    Excluded,
}

#[derive(Debug, Clone)]
pub enum Matcher {
    Literal(String),
    Regex(Regex),
}

impl Matcher {
    fn find_in(&self, text: &str) -> bool {
        match self {
            Matcher::Literal(l) => text.contains(l.as_str()),
            Matcher::Regex(r) => r.is_match(text),
        }
    }
}

/// A JSON pattern's boolean expression.
#[derive(Debug, Clone)]
pub enum Expr {
    Or(Vec<Expr>),
    And(Vec<Expr>),
    Test(Selector, Test),
}

#[derive(Debug, Clone, PartialEq)]
pub enum Step {
    Key(String),
    Index(usize),
}

#[derive(Debug, Clone, PartialEq)]
pub struct Selector {
    pub text: String,
    pub steps: Vec<Step>,
}

#[derive(Debug, Clone)]
pub enum Test {
    Cmp(Op, Operand),
    IsNull,
    IsTrue,
    IsFalse,
    NotExists,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Op {
    Eq,
    Ne,
    Lt,
    Le,
    Gt,
    Ge,
}

#[derive(Debug, Clone)]
pub enum Operand {
    Number(f64),
    /// Text, with `*` wildcards.
    Text(String),
    Regex(Regex),
}

/// One position of a space-delimited pattern.
#[derive(Debug, Clone)]
pub enum Field {
    /// `...`: any number of fields.
    Ellipsis,
    Named {
        name: String,
        cond: Option<FieldCond>,
    },
}

#[derive(Debug, Clone)]
pub enum FieldCond {
    Or(Vec<FieldCond>),
    And(Vec<FieldCond>),
    Cmp(Op, Operand),
}

/// A pattern that does not parse, with the 1-based column of the problem.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub struct PatternError {
    pub message: String,
    pub column: usize,
}

impl fmt::Display for PatternError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} (column {})", self.message, self.column)
    }
}

/// The longest regular expression AWS accepts, and how many a pattern may hold.
pub const REGEX_MAX_LEN: usize = 250;
pub const REGEX_MAX_COUNT: usize = 2;

/// How a pattern change relates the two patterns' matches, as far as it can be proven from
/// their text: JSON patterns are compared by their top-level `||` alternatives (an OR of
/// alternatives matches whatever any one of them matches, so adding one only widens and
/// removing one only narrows).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PatternChange {
    /// Same alternatives, written differently.
    Same,
    /// Alternatives added, none removed: matches at least what it did.
    Widened { added: Vec<String> },
    /// Alternatives removed, none added: matches at most what it did.
    Narrowed { removed: Vec<String> },
    /// Anything else: nothing is proven.
    Changed,
}

/// Compares two patterns (see [`PatternChange`]).
pub fn compare_patterns(old: &str, new: &str) -> PatternChange {
    if old == new {
        return PatternChange::Same;
    }
    let (Some(a), Some(b)) = (top_level_alternatives(old), top_level_alternatives(new)) else {
        return PatternChange::Changed;
    };
    let (a, b): (std::collections::BTreeSet<String>, std::collections::BTreeSet<String>) =
        (a.into_iter().collect(), b.into_iter().collect());
    if a == b {
        PatternChange::Same
    } else if a.is_subset(&b) {
        PatternChange::Widened { added: b.difference(&a).cloned().collect() }
    } else if b.is_subset(&a) {
        PatternChange::Narrowed { removed: a.difference(&b).cloned().collect() }
    } else {
        PatternChange::Changed
    }
}

/// The top-level `||` alternatives of a JSON pattern, each with its white space outside
/// quotes collapsed and redundant outer parentheses removed; `None` for other patterns or
/// text that does not parse.
pub fn top_level_alternatives(pattern: &str) -> Option<Vec<String>> {
    if !matches!(parse(pattern), Ok(Pattern::Json(_))) {
        return None;
    }
    let body = pattern.trim().strip_prefix('{')?.strip_suffix('}')?;
    let mut out = Vec::new();
    let (mut depth, mut quote, mut start) = (0i32, false, 0usize);
    let bytes = body.as_bytes();
    let mut i = 0;
    while i < bytes.len() {
        match bytes[i] {
            b'\\' if quote => i += 1,
            b'"' => quote = !quote,
            b'(' if !quote => depth += 1,
            b')' if !quote => depth -= 1,
            b'|' if !quote && depth == 0 && bytes.get(i + 1) == Some(&b'|') => {
                out.push(canonical(&body[start..i]));
                start = i + 2;
                i += 1;
            }
            _ => {}
        }
        i += 1;
    }
    out.push(canonical(&body[start..]));
    Some(out)
}

/// White space outside quotes collapsed; outer parentheses that wrap the whole removed.
fn canonical(alt: &str) -> String {
    let mut s = String::new();
    let (mut quote, mut space) = (false, false);
    for c in alt.trim().chars() {
        if c == '"' {
            quote = !quote;
        }
        if !quote && c.is_whitespace() {
            space = true;
            continue;
        }
        if space && !s.is_empty() {
            s.push(' ');
        }
        space = false;
        s.push(c);
    }
    // `(A)` -> `A`, but not `(A) && (B)`.
    while s.starts_with('(') && s.ends_with(')') && wraps(&s) {
        s = s[1..s.len() - 1].trim().to_string();
    }
    s
}

/// Whether the parenthesis opening `s` closes at its very end.
fn wraps(s: &str) -> bool {
    let (mut depth, mut quote) = (0i32, false);
    for (i, c) in s.char_indices() {
        match c {
            '"' => quote = !quote,
            '(' if !quote => depth += 1,
            ')' if !quote => {
                depth -= 1;
                if depth == 0 {
                    return i == s.len() - 1;
                }
            }
            _ => {}
        }
    }
    false
}

/// Parses a filter pattern.
pub fn parse(pattern: &str) -> Result<Pattern, PatternError> {
    parse_counted(pattern).map(|(p, _)| p)
}

/// Parses a filter pattern and counts its regular expressions (`%...%`): CloudWatch Logs
/// allows five patterns with a regex per log group.
pub fn parse_counted(pattern: &str) -> Result<(Pattern, usize), PatternError> {
    let trimmed = pattern.trim();
    if trimmed.is_empty() || trimmed == "\"\"" || trimmed == "\" \"" {
        return Ok((Pattern::All, 0));
    }
    let mut p = Parser { chars: pattern.chars().collect(), pos: 0, regexes: 0 };
    p.skip_ws();
    let result = match p.peek() {
        Some('{') => {
            p.pos += 1;
            let e = p.or_expr()?;
            p.skip_ws();
            p.expect('}')?;
            Pattern::Json(e)
        }
        Some('[') => {
            p.pos += 1;
            Pattern::Space(p.fields()?)
        }
        _ => Pattern::Terms(p.terms()?),
    };
    p.skip_ws();
    if p.pos < p.chars.len() {
        return Err(p.err("unexpected text after the end of the pattern"));
    }
    Ok((result, p.regexes))
}

struct Parser {
    chars: Vec<char>,
    pos: usize,
    regexes: usize,
}

impl Parser {
    fn err(&self, message: impl Into<String>) -> PatternError {
        PatternError { message: message.into(), column: self.pos + 1 }
    }

    fn err_at(&self, pos: usize, message: impl Into<String>) -> PatternError {
        PatternError { message: message.into(), column: pos + 1 }
    }

    fn peek(&self) -> Option<char> {
        self.chars.get(self.pos).copied()
    }

    fn peek_str(&self, s: &str) -> bool {
        s.chars().enumerate().all(|(i, c)| self.chars.get(self.pos + i) == Some(&c))
    }

    fn skip_ws(&mut self) {
        while self.peek().is_some_and(char::is_whitespace) {
            self.pos += 1;
        }
    }

    fn expect(&mut self, c: char) -> Result<(), PatternError> {
        if self.peek() == Some(c) {
            self.pos += 1;
            Ok(())
        } else {
            Err(self.err(match self.peek() {
                Some(found) => format!("expected `{c}`, found `{found}`"),
                None => format!("expected `{c}` before the end of the pattern"),
            }))
        }
    }

    /// `"..."` with `\"` and `\\` escapes; the opening quote is at `pos`.
    fn quoted(&mut self) -> Result<String, PatternError> {
        let start = self.pos;
        self.pos += 1;
        let mut out = String::new();
        loop {
            match self.peek() {
                None => return Err(self.err_at(start, "this quoted text is never closed")),
                Some('"') => {
                    self.pos += 1;
                    return Ok(out);
                }
                Some('\\') if matches!(self.chars.get(self.pos + 1), Some('"') | Some('\\')) => {
                    out.push(self.chars[self.pos + 1]);
                    self.pos += 2;
                }
                Some(c) => {
                    out.push(c);
                    self.pos += 1;
                }
            }
        }
    }

    /// `%...%`; the opening `%` is at `pos`.
    fn regex(&mut self) -> Result<Regex, PatternError> {
        let start = self.pos;
        self.pos += 1;
        let mut body = String::new();
        loop {
            match self.peek() {
                None => return Err(self.err_at(start, "this regular expression is never closed with `%`")),
                Some('%') => {
                    self.pos += 1;
                    break;
                }
                Some('\\') if self.chars.get(self.pos + 1) == Some(&'%') => {
                    body.push('%');
                    self.pos += 2;
                }
                Some(c) => {
                    body.push(c);
                    self.pos += 1;
                }
            }
        }
        self.regexes += 1;
        if self.regexes > REGEX_MAX_COUNT {
            return Err(
                self.err_at(start, format!("a filter pattern holds at most {REGEX_MAX_COUNT} regular expressions"))
            );
        }
        if body.chars().count() > REGEX_MAX_LEN {
            return Err(self.err_at(start, format!("a regular expression is at most {REGEX_MAX_LEN} characters")));
        }
        if let Some((i, c)) = body.char_indices().find(|(_, c)| !regex_char_allowed(*c)) {
            return Err(self.err_at(
                start + 1 + body[..i].chars().count(),
                format!("`{c}` is not allowed in a filter-pattern regular expression"),
            ));
        }
        Regex::new(&body).map_err(|e| {
            self.err_at(start, format!("invalid regular expression: {}", e.to_string().lines().last().unwrap_or("")))
        })
    }

    // ---- terms -----------------------------------------------------------------------

    fn terms(&mut self) -> Result<Vec<Term>, PatternError> {
        let mut terms = Vec::new();
        loop {
            self.skip_ws();
            let Some(c) = self.peek() else { break };
            let kind = match c {
                '?' => {
                    self.pos += 1;
                    TermKind::Optional
                }
                '-' => {
                    self.pos += 1;
                    TermKind::Excluded
                }
                _ => TermKind::Required,
            };
            let matcher = match self.peek() {
                Some('"') => Matcher::Literal(self.quoted()?),
                Some('%') => Matcher::Regex(self.regex()?),
                Some(c) if c.is_whitespace() => return Err(self.err("`?` and `-` go right before a term")),
                None => return Err(self.err("`?` and `-` go right before a term")),
                Some(_) => {
                    let start = self.pos;
                    while self.peek().is_some_and(|c| !c.is_whitespace()) {
                        self.pos += 1;
                    }
                    Matcher::Literal(self.chars[start..self.pos].iter().collect())
                }
            };
            terms.push(Term { kind, matcher });
        }
        Ok(terms)
    }

    // ---- JSON ------------------------------------------------------------------------

    fn or_expr(&mut self) -> Result<Expr, PatternError> {
        let mut items = vec![self.and_expr()?];
        loop {
            self.skip_ws();
            if self.peek_str("||") {
                self.pos += 2;
                items.push(self.and_expr()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 { items.pop().expect("one") } else { Expr::Or(items) })
    }

    fn and_expr(&mut self) -> Result<Expr, PatternError> {
        let mut items = vec![self.primary()?];
        loop {
            self.skip_ws();
            if self.peek_str("&&") {
                self.pos += 2;
                items.push(self.primary()?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 { items.pop().expect("one") } else { Expr::And(items) })
    }

    fn primary(&mut self) -> Result<Expr, PatternError> {
        self.skip_ws();
        match self.peek() {
            Some('(') => {
                self.pos += 1;
                let e = self.or_expr()?;
                self.skip_ws();
                self.expect(')')?;
                Ok(e)
            }
            Some('$') => {
                let sel = self.selector()?;
                self.skip_ws();
                let test = self.test()?;
                Ok(Expr::Test(sel, test))
            }
            Some(c) => Err(self.err(format!("expected a selector such as `$.eventName` or `(`, found `{c}`"))),
            None => Err(self.err("expected a condition before the end of the pattern")),
        }
    }

    fn selector(&mut self) -> Result<Selector, PatternError> {
        let start = self.pos;
        self.pos += 1; // $
        let mut steps = Vec::new();
        loop {
            match self.peek() {
                Some('.') => {
                    self.pos += 1;
                    let key_start = self.pos;
                    while self.peek().is_some_and(|c| c.is_alphanumeric() || "_-@:".contains(c)) {
                        self.pos += 1;
                    }
                    if self.pos == key_start {
                        return Err(self.err("expected a field name after `.`"));
                    }
                    steps.push(Step::Key(self.chars[key_start..self.pos].iter().collect()));
                }
                Some('[') => {
                    self.pos += 1;
                    let n_start = self.pos;
                    while self.peek().is_some_and(|c| c.is_ascii_digit()) {
                        self.pos += 1;
                    }
                    if self.pos == n_start {
                        return Err(self.err("expected an array index such as `[0]`"));
                    }
                    let n: String = self.chars[n_start..self.pos].iter().collect();
                    self.expect(']')?;
                    steps.push(Step::Index(n.parse().map_err(|_| self.err_at(n_start, "array index too large"))?));
                }
                _ => break,
            }
        }
        if steps.is_empty() {
            return Err(self.err_at(start, "a selector names a field: `$.field`"));
        }
        Ok(Selector { text: self.chars[start..self.pos].iter().collect(), steps })
    }

    fn keyword(&mut self, word: &str) -> bool {
        let n = word.chars().count();
        let got: String = self.chars.iter().skip(self.pos).take(n).collect();
        let boundary = self.chars.get(self.pos + n).is_none_or(|c| !c.is_alphanumeric());
        if got.eq_ignore_ascii_case(word) && boundary {
            self.pos += n;
            true
        } else {
            false
        }
    }

    fn test(&mut self) -> Result<Test, PatternError> {
        let at = self.pos;
        if self.keyword("IS") {
            self.skip_ws();
            for (w, t) in [("NULL", Test::IsNull), ("TRUE", Test::IsTrue), ("FALSE", Test::IsFalse)] {
                if self.keyword(w) {
                    return Ok(t);
                }
            }
            return Err(self.err("expected `NULL`, `TRUE` or `FALSE` after `IS`"));
        }
        if self.keyword("NOT") {
            self.skip_ws();
            if self.keyword("EXISTS") {
                return Ok(Test::NotExists);
            }
            return Err(self.err("expected `EXISTS` after `NOT`"));
        }
        let op = self.op().ok_or_else(|| self.err_at(at, "expected an operator: `=`, `!=`, `<`, `<=`, `>`, `>=`, `IS NULL`, `IS TRUE`, `IS FALSE` or `NOT EXISTS`"))?;
        self.skip_ws();
        let operand = self.operand(op, &['&', '|', ')', '}'])?;
        Ok(Test::Cmp(op, operand))
    }

    fn op(&mut self) -> Option<Op> {
        for (s, op) in [("!=", Op::Ne), ("<=", Op::Le), (">=", Op::Ge), ("=", Op::Eq), ("<", Op::Lt), (">", Op::Gt)] {
            if self.peek_str(s) {
                self.pos += s.len();
                return Some(op);
            }
        }
        None
    }

    /// A value after an operator; a bare value runs until whitespace or a stop character.
    fn operand(&mut self, op: Op, stops: &[char]) -> Result<Operand, PatternError> {
        let start = self.pos;
        let operand = match self.peek() {
            Some('"') => Operand::Text(self.quoted()?),
            Some('%') => Operand::Regex(self.regex()?),
            Some(_) => {
                while self.peek().is_some_and(|c| !c.is_whitespace() && !stops.contains(&c)) {
                    self.pos += 1;
                }
                let word: String = self.chars[start..self.pos].iter().collect();
                if word.is_empty() {
                    return Err(self.err_at(start, "expected a value after the operator"));
                }
                match parse_number(&word) {
                    Some(n) => Operand::Number(n),
                    None => Operand::Text(word),
                }
            }
            None => return Err(self.err("expected a value before the end of the pattern")),
        };
        let numeric_op = matches!(op, Op::Lt | Op::Le | Op::Gt | Op::Ge);
        if numeric_op && !matches!(operand, Operand::Number(_)) {
            return Err(self.err_at(start, "`<`, `<=`, `>` and `>=` compare numbers"));
        }
        Ok(operand)
    }

    // ---- space-delimited ---------------------------------------------------------------

    fn fields(&mut self) -> Result<Vec<Field>, PatternError> {
        let mut fields = Vec::new();
        loop {
            self.skip_ws();
            if self.peek_str("...") {
                self.pos += 3;
                fields.push(Field::Ellipsis);
            } else {
                let start = self.pos;
                while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                    self.pos += 1;
                }
                if self.pos == start {
                    return Err(self.err(match self.peek() {
                        Some(c) => format!("expected a field name or `...`, found `{c}`"),
                        None => "expected `]` before the end of the pattern".into(),
                    }));
                }
                let name: String = self.chars[start..self.pos].iter().collect();
                self.skip_ws();
                let cond =
                    if self.peek().is_some_and(|c| "=!<>".contains(c)) { Some(self.field_or(&name)?) } else { None };
                fields.push(Field::Named { name, cond });
            }
            self.skip_ws();
            match self.peek() {
                Some(',') => self.pos += 1,
                Some(']') => {
                    self.pos += 1;
                    break;
                }
                Some(c) => return Err(self.err(format!("expected `,` or `]`, found `{c}`"))),
                None => return Err(self.err("expected `]` before the end of the pattern")),
            }
        }
        if fields.iter().all(|f| matches!(f, Field::Ellipsis)) {
            return Err(self.err("a space-delimited pattern names at least one field"));
        }
        Ok(fields)
    }

    /// `= 4* || name = 5*`: the first comparison's field is implied; later ones repeat it.
    fn field_or(&mut self, name: &str) -> Result<FieldCond, PatternError> {
        let mut items = vec![self.field_and(name, true)?];
        loop {
            self.skip_ws();
            if self.peek_str("||") {
                self.pos += 2;
                items.push(self.field_and(name, false)?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 { items.pop().expect("one") } else { FieldCond::Or(items) })
    }

    fn field_and(&mut self, name: &str, first: bool) -> Result<FieldCond, PatternError> {
        let mut items = vec![self.field_cmp(name, first)?];
        loop {
            self.skip_ws();
            if self.peek_str("&&") {
                self.pos += 2;
                items.push(self.field_cmp(name, false)?);
            } else {
                break;
            }
        }
        Ok(if items.len() == 1 { items.pop().expect("one") } else { FieldCond::And(items) })
    }

    fn field_cmp(&mut self, name: &str, implied: bool) -> Result<FieldCond, PatternError> {
        self.skip_ws();
        if !implied {
            let start = self.pos;
            while self.peek().is_some_and(|c| c.is_alphanumeric() || c == '_') {
                self.pos += 1;
            }
            let other: String = self.chars[start..self.pos].iter().collect();
            if other != name {
                return Err(self.err_at(start, format!("conditions of field `{name}` must name `{name}`")));
            }
            self.skip_ws();
        }
        let op = self.op().ok_or_else(|| self.err("expected `=`, `!=`, `<`, `<=`, `>` or `>=`"))?;
        self.skip_ws();
        let operand = self.operand(op, &['&', '|', ',', ']'])?;
        Ok(FieldCond::Cmp(op, operand))
    }
}

/// Characters a filter-pattern regex may use: letters, digits, whitespace and the
/// metacharacters and punctuation AWS lists.
fn regex_char_allowed(c: char) -> bool {
    c.is_alphanumeric() || c.is_whitespace() || "_-.*+?|()[]{}^$\\,:/=\"'@#!~<>&;".contains(c)
}

fn parse_number(s: &str) -> Option<f64> {
    let b = s.as_bytes();
    let mut i = 0;
    if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
        i += 1;
    }
    let digits = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
    i += digits;
    let mut frac = 0;
    if i < b.len() && b[i] == b'.' {
        i += 1;
        frac = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        i += frac;
    }
    if digits + frac == 0 {
        return None;
    }
    if i < b.len() && (b[i] == b'e' || b[i] == b'E') {
        i += 1;
        if i < b.len() && (b[i] == b'-' || b[i] == b'+') {
            i += 1;
        }
        let exp = b[i..].iter().take_while(|c| c.is_ascii_digit()).count();
        if exp == 0 {
            return None;
        }
        i += exp;
    }
    (i == b.len()).then(|| s.parse().ok()).flatten()
}

/// `*` matches any run of characters; everything else literally.
fn wildcard(pattern: &str, text: &str) -> bool {
    if !pattern.contains('*') {
        return pattern == text;
    }
    let parts: Vec<&str> = pattern.split('*').collect();
    let (first, last) = (parts[0], parts[parts.len() - 1]);
    if !text.starts_with(first) || text.len() < first.len() + last.len() || !text.ends_with(last) {
        return false;
    }
    let mut rest = &text[first.len()..text.len() - last.len()];
    for middle in &parts[1..parts.len() - 1] {
        match rest.find(middle) {
            Some(i) => rest = &rest[i + middle.len()..],
            None => return false,
        }
    }
    true
}

/// The outcome of matching one event.
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Match {
    /// Values a metric could be taken from: `$.field` for JSON, `$name` for space-delimited.
    pub extracted: BTreeMap<String, String>,
}

impl Pattern {
    /// Whether the pattern matches `event`, and what it extracted if so.
    pub fn matches(&self, event: &str) -> Option<Match> {
        match self {
            Pattern::All => Some(Match::default()),
            Pattern::Terms(terms) => terms_match(terms, event).then(Match::default),
            Pattern::Json(expr) => {
                let v: Value = serde_json::from_str(event).ok()?;
                if !v.is_object() && !v.is_array() {
                    return None;
                }
                if !eval(expr, &v) {
                    return None;
                }
                let mut m = Match::default();
                collect_selectors(expr, &v, &mut m.extracted);
                Some(m)
            }
            Pattern::Space(fields) => space_match(fields, event),
        }
    }
}

fn terms_match(terms: &[Term], event: &str) -> bool {
    let mut any_optional = false;
    let mut optional_hit = false;
    for t in terms {
        let hit = t.matcher.find_in(event);
        match t.kind {
            TermKind::Required if !hit => return false,
            TermKind::Excluded if hit => return false,
            TermKind::Optional => {
                any_optional = true;
                optional_hit |= hit;
            }
            _ => {}
        }
    }
    !any_optional || optional_hit
}

fn select<'a>(v: &'a Value, sel: &Selector) -> Option<&'a Value> {
    let mut cur = v;
    for step in &sel.steps {
        cur = match step {
            Step::Key(k) => cur.as_object()?.get(k)?,
            Step::Index(i) => cur.as_array()?.get(*i)?,
        };
    }
    Some(cur)
}

fn eval(e: &Expr, v: &Value) -> bool {
    match e {
        Expr::Or(items) => items.iter().any(|i| eval(i, v)),
        Expr::And(items) => items.iter().all(|i| eval(i, v)),
        Expr::Test(sel, test) => {
            let found = select(v, sel);
            match test {
                Test::NotExists => found.is_none(),
                Test::IsNull => matches!(found, Some(Value::Null)),
                Test::IsTrue => matches!(found, Some(Value::Bool(true))),
                Test::IsFalse => matches!(found, Some(Value::Bool(false))),
                Test::Cmp(op, operand) => match found {
                    None => false,
                    Some(val) => compare(*op, operand, &json_text(val), val.as_f64()),
                },
            }
        }
    }
}

fn json_text(v: &Value) -> Option<String> {
    match v {
        Value::String(s) => Some(s.clone()),
        Value::Number(n) => Some(n.to_string()),
        Value::Bool(b) => Some(b.to_string()),
        Value::Null => None,
        other => Some(other.to_string()),
    }
}

/// Compares a field (as text, and as a number when it is one) with an operand.
fn compare(op: Op, operand: &Operand, text: &Option<String>, number: Option<f64>) -> bool {
    let number = number.or_else(|| text.as_deref().and_then(parse_number));
    let eq = match operand {
        Operand::Number(n) => number.map(|x| x == *n),
        Operand::Text(t) if t == "*" => Some(text.is_some()),
        Operand::Text(t) => text.as_deref().map(|x| wildcard(t, x)),
        Operand::Regex(r) => text.as_deref().map(|x| r.is_match(x)),
    };
    match op {
        Op::Eq => eq.unwrap_or(false),
        Op::Ne => eq.map(|e| !e).unwrap_or(false),
        Op::Lt | Op::Le | Op::Gt | Op::Ge => {
            let (Some(x), Operand::Number(n)) = (number, operand) else { return false };
            match op {
                Op::Lt => x < *n,
                Op::Le => x <= *n,
                Op::Gt => x > *n,
                _ => x >= *n,
            }
        }
    }
}

fn collect_selectors(e: &Expr, v: &Value, out: &mut BTreeMap<String, String>) {
    match e {
        Expr::Or(items) | Expr::And(items) => items.iter().for_each(|i| collect_selectors(i, v, out)),
        Expr::Test(sel, _) => {
            if let Some(t) = select(v, sel).and_then(json_text) {
                out.insert(sel.text.clone(), t);
            }
        }
    }
}

/// Splits a space-delimited event: `"..."` and `[...]` are one field each.
pub fn split_fields(event: &str) -> Vec<String> {
    let mut out = Vec::new();
    let chars: Vec<char> = event.chars().collect();
    let mut i = 0;
    while i < chars.len() {
        if chars[i].is_whitespace() {
            i += 1;
            continue;
        }
        let (open, close) = match chars[i] {
            '"' => (true, '"'),
            '[' => (true, ']'),
            _ => (false, ' '),
        };
        if open {
            let start = i + 1;
            let mut j = start;
            while j < chars.len() && chars[j] != close {
                j += 1;
            }
            out.push(chars[start..j.min(chars.len())].iter().collect());
            i = j + 1;
        } else {
            let start = i;
            while i < chars.len() && !chars[i].is_whitespace() {
                i += 1;
            }
            out.push(chars[start..i].iter().collect());
        }
    }
    out
}

fn field_ok(cond: &FieldCond, value: &str) -> bool {
    match cond {
        FieldCond::Or(items) => items.iter().any(|c| field_ok(c, value)),
        FieldCond::And(items) => items.iter().all(|c| field_ok(c, value)),
        FieldCond::Cmp(op, operand) => compare(*op, operand, &Some(value.to_string()), None),
    }
}

fn space_match(fields: &[Field], event: &str) -> Option<Match> {
    let values = split_fields(event);
    let mut extracted = BTreeMap::new();
    if assign(fields, &values, &mut extracted) {
        Some(Match { extracted })
    } else {
        None
    }
}

/// Matches pattern fields to event fields; `...` takes as many as needed.
fn assign(fields: &[Field], values: &[String], out: &mut BTreeMap<String, String>) -> bool {
    match fields.split_first() {
        None => values.is_empty(),
        Some((Field::Ellipsis, rest)) => (0..=values.len()).any(|skip| {
            let mut attempt = out.clone();
            if assign(rest, &values[skip..], &mut attempt) {
                *out = attempt;
                true
            } else {
                false
            }
        }),
        Some((Field::Named { name, cond }, rest)) => {
            let Some((first, others)) = values.split_first() else { return false };
            if cond.as_ref().is_some_and(|c| !field_ok(c, first)) {
                return false;
            }
            out.insert(format!("${name}"), first.clone());
            assign(rest, others, out)
        }
    }
}

#[cfg(test)]
mod tests;
