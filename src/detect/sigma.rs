//! `socform import-sigma`: Sigma rules for AWS CloudTrail become CloudWatch Logs detections.
//!
//! No pySigma backend targets CloudWatch Logs filter patterns; this is a small one for the
//! subset CloudTrail rules use. A rule is converted only when the pattern means what the rule
//! means; otherwise it is refused with the reason. The differences that decide it:
//!
//! - Sigma matches case-insensitively; CloudWatch compares case-sensitively. A value is kept
//!   as text when case cannot matter: it has no letters, the rule says `|cased`, or the field
//!   is one AWS documents and writes in one case (`CASE_FIXED`: event names and sources,
//!   region and error codes, identity types...). Known enumerations are written in
//!   CloudTrail's case (`ConsoleLogin: success` becomes `"Success"`). Any other value (ARNs
//!   and names the customer chose, `MFAUsed`, seen as `Yes` and `YES`) becomes a regex of
//!   character classes, `%^[Yy][Ee][Ss]$%`, when CloudWatch's regex can say it (documented
//!   characters, 250 characters, two regexes per pattern); otherwise the rule is refused.
//! - `*` is a wildcard at either end of a value in CloudWatch, nowhere else; Sigma's `?` has no
//!   counterpart. A wildcard in the middle is refused.
//! - CloudWatch has no general negation, and a comparison on an absent field is false. `not`
//!   is pushed down to the leaves (De Morgan), and a negated comparison also matches when the
//!   field is absent or null, as in Sigma: `not eventName: X` is `($.eventName != "X" ||
//!   $.eventName IS NULL || $.eventName NOT EXISTS)` (`!=` is false on null).
//! - `null` means absent or null: `($.f IS NULL || $.f NOT EXISTS)`. `'true'`/`'false'` match
//!   the boolean and the string.
//! - `|re` becomes `%regex%` only if socform's engine, which enforces CloudWatch's regex
//!   limits, accepts it.
//! - `fieldref`, `cidr`, `base64`, `exists`, keyword lists and aggregations are refused.
//!
//! **Architecture Invariant:** pure, like the rest of `detect`: text in, text out.

use std::collections::BTreeMap;

use serde_json::Value;

use super::pattern;

/// A rule that became a detection.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Converted {
    pub id: String,
    pub title: String,
    /// The rule's authors: the Detection Rule License asks that they stay credited.
    pub author: String,
    /// The detection's name: the title in lowercase words joined by `-`.
    pub name: String,
    pub pattern: String,
    pub severity: String,
    pub attack: Vec<String>,
    /// What was adjusted to CloudTrail's case, said in the output.
    pub notes: Vec<String>,
}

/// A rule's id and title, as far as they could be read.
#[derive(Debug, Clone, Default, serde::Serialize)]
pub struct Header {
    pub id: String,
    pub title: String,
}

/// Fields whose values AWS writes in one fixed case, by its documentation: API operation
/// names, service endpoints, region codes, error codes and account ids. An equality on
/// them is faithful when the value is written that way. Everything else (ARNs and names
/// the customer chose, user agents, messages, and fields seen in more than one case, such
/// as `additionalEventData.MFAUsed` (`Yes`, `YES`) and `eventType` (`AwsConsoleSignIn`,
/// `AwsConsoleSignin`)) is compared ignoring case, with a regex of character classes.
const CASE_FIXED: &[&str] = &[
    "eventName",
    "eventSource",
    "eventCategory",
    "awsRegion",
    "errorCode",
    "recipientAccountId",
    "userIdentity.type",
    "userIdentity.accountId",
    "userIdentity.sessionContext.sessionIssuer.type",
    "responseElements.ConsoleLogin",
];

/// Enumerations AWS documents and writes itself, in its case.
const ENUMS: &[(&str, &[&str])] = &[
    ("responseElements.ConsoleLogin", &["Success", "Failure"]),
    (
        "userIdentity.type",
        &[
            "Root",
            "IAMUser",
            "AssumedRole",
            "FederatedUser",
            "AWSAccount",
            "AWSService",
            "IdentityCenterUser",
            "SAMLUser",
            "WebIdentityUser",
            "Unknown",
        ],
    ),
    ("userIdentity.sessionContext.sessionIssuer.type", &["Root", "IAMUser", "Role"]),
    ("eventCategory", &["Management", "Data", "Insight", "NetworkActivity"]),
];

/// Fields that hold JSON objects: text inside them has no field path CloudWatch could compare.
const OBJECTS: &[&str] =
    &["requestParameters", "responseElements", "additionalEventData", "userIdentity", "resources", "tlsDetails"];

#[derive(Debug, Clone)]
enum Leaf {
    /// A string, with `*` at either end as a wildcard.
    Str {
        field: String,
        value: String,
    },
    Null {
        field: String,
    },
    Bool {
        field: String,
        value: bool,
    },
    Num {
        field: String,
        op: &'static str,
        value: String,
    },
    Re {
        field: String,
        re: String,
    },
    /// A clause already in CloudWatch's words (a negated leaf).
    Raw(String),
}

#[derive(Debug, Clone)]
enum Expr {
    And(Vec<Expr>),
    Or(Vec<Expr>),
    Not(Box<Expr>),
    Leaf(Leaf),
}

/// Reads a rule's id and title, for reports about rules that were refused.
pub fn header(text: &str) -> Header {
    let v: Value = parse_yaml(text).unwrap_or(Value::Null);
    Header {
        id: v["id"].as_str().unwrap_or_default().to_string(),
        title: v["title"].as_str().unwrap_or_default().to_string(),
    }
}

fn parse_yaml(text: &str) -> Result<Value, String> {
    let mut budget = serde_saphyr::Budget::default();
    budget.max_depth = 16;
    budget.max_nodes = 20_000;
    budget.max_documents = 1;
    budget.max_aliases = 100;
    let opts = serde_saphyr::options! { budget: Some(budget), with_snippet: false };
    serde_saphyr::from_str_with_options::<Value>(text, opts).map_err(|e| format!("not a Sigma rule: {e}"))
}

/// Converts one Sigma rule; `Err` is the reason it was refused.
pub fn convert(text: &str) -> Result<Converted, String> {
    let rule = parse_yaml(text)?;
    let id = rule["id"].as_str().ok_or("the rule has no `id`")?.to_string();
    let title = rule["title"].as_str().ok_or("the rule has no `title`")?.to_string();
    let logsource = &rule["logsource"];
    if logsource["product"].as_str() != Some("aws") || logsource["service"].as_str() != Some("cloudtrail") {
        return Err("its logsource is not product: aws, service: cloudtrail".into());
    }
    let detection = rule["detection"].as_object().ok_or("the rule has no `detection` map")?;
    if detection.contains_key("timeframe") {
        return Err("it counts events over a timeframe (an aggregation); a metric filter matches single events".into());
    }
    let condition = match &detection.get("condition") {
        Some(Value::String(c)) => c.clone(),
        Some(Value::Array(_)) => return Err("it has several conditions".into()),
        _ => return Err("the detection has no `condition`".into()),
    };
    let mut notes = vec![];
    let mut searches = BTreeMap::new();
    for (name, body) in detection {
        if name == "condition" {
            continue;
        }
        searches.insert(name.clone(), search(name, body, &mut notes)?);
    }
    let expr = Cond { tokens: tokenize(&condition)?, pos: 0, searches: &searches }.parse()?;
    let expr = push_not(expr, false)?;
    let regexes = count_regexes(&expr);
    if regexes > pattern::REGEX_MAX_COUNT {
        return Err(format!(
            "it needs {regexes} regular expressions (each case-insensitive comparison is one); CloudWatch allows {} in a pattern",
            pattern::REGEX_MAX_COUNT
        ));
    }
    let text = render(&expr, true);
    let pattern = format!("{{ {text} }}");
    if pattern.chars().count() > 1024 {
        return Err(format!("the pattern would be {} characters; CloudWatch allows 1,024", pattern.chars().count()));
    }
    pattern::parse(&pattern).map_err(|e| format!("CloudWatch would not accept the pattern ({e}): {pattern}"))?;
    let severity = match rule["level"].as_str() {
        Some("informational") => "info",
        Some(l @ ("low" | "medium" | "high" | "critical")) => l,
        _ => "medium",
    }
    .to_string();
    let attack = rule["tags"]
        .as_array()
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .filter_map(|t| t.strip_prefix("attack.t"))
        .map(|t| format!("T{}", t.to_ascii_uppercase()))
        .collect();
    let author = rule["author"].as_str().unwrap_or("unknown").trim().to_string();
    Ok(Converted { name: name_of(&title), id, title, author, pattern, severity, attack, notes })
}

/// `AWS Successful Console Login Without MFA` -> `aws-successful-console-login-without-mfa`.
fn name_of(title: &str) -> String {
    let words: Vec<String> = title
        .split(|c: char| !c.is_ascii_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_ascii_lowercase)
        .collect();
    let mut name = String::new();
    for w in words {
        if name.len() + w.len() + 1 > 60 {
            break;
        }
        if !name.is_empty() {
            name.push('-');
        }
        name.push_str(&w);
    }
    name
}

/// One search identifier: a map (all of its fields) or a list of maps (any of them).
fn search(name: &str, body: &Value, notes: &mut Vec<String>) -> Result<Expr, String> {
    match body {
        Value::Object(m) => {
            let mut all = vec![];
            for (key, value) in m {
                all.push(field(key, value, notes)?);
            }
            Ok(Expr::And(all))
        }
        Value::Array(items) if items.iter().all(Value::is_object) => {
            Ok(Expr::Or(items.iter().map(|i| search(name, i, notes)).collect::<Result<_, _>>()?))
        }
        _ => Err(format!("`{name}` is a keyword search (values with no field); CloudWatch JSON patterns need a field")),
    }
}

fn field(key: &str, value: &Value, notes: &mut Vec<String>) -> Result<Expr, String> {
    let mut parts = key.split('|');
    let path = parts.next().unwrap_or_default().to_string();
    let mods: Vec<&str> = parts.collect();
    if path.is_empty() || !path.chars().all(|c| c.is_ascii_alphanumeric() || c == '.' || c == '_') {
        return Err(format!("the field `{path}` is not a plain JSON path"));
    }
    let (mut kind, mut all, mut cased) = ("eq", false, false);
    for m in &mods {
        match *m {
            "contains" | "startswith" | "endswith" | "re" | "lt" | "lte" | "gt" | "gte" => kind = m,
            "all" => all = true,
            "cased" => cased = true,
            other => return Err(format!("the modifier `{other}` (on `{path}`) has no CloudWatch form")),
        }
    }
    let values: Vec<&Value> = match value {
        Value::Array(v) => v.iter().collect(),
        v => vec![v],
    };
    if values.is_empty() {
        return Err(format!("`{key}` has an empty list of values"));
    }
    let leaves = values.into_iter().map(|v| leaf(&path, kind, cased, v, notes)).collect::<Result<Vec<_>, _>>()?;
    Ok(if all { Expr::And(leaves) } else { Expr::Or(leaves) })
}

fn leaf(path: &str, kind: &str, cased: bool, v: &Value, notes: &mut Vec<String>) -> Result<Expr, String> {
    let text = match v {
        Value::Null if kind == "eq" => return Ok(Expr::Leaf(Leaf::Null { field: path.into() })),
        Value::Bool(b) if kind == "eq" => return Ok(Expr::Leaf(Leaf::Bool { field: path.into(), value: *b })),
        Value::Number(n) => n.to_string(),
        Value::String(s) => s.clone(),
        other => return Err(format!("`{path}` compares with {other}, which has no CloudWatch form")),
    };
    if let Some(op) = match kind {
        "lt" => Some("<"),
        "lte" => Some("<="),
        "gt" => Some(">"),
        "gte" => Some(">="),
        _ => None,
    } {
        if text.parse::<f64>().is_err() {
            return Err(format!("`{path}|{kind}` compares with `{text}`, not a number"));
        }
        return Ok(Expr::Leaf(Leaf::Num { field: path.into(), op, value: text }));
    }
    if kind == "re" {
        // `%` delimits a CloudWatch regex: one inside the value would end it early, and
        // what follows would be read as more pattern (a `%` once made a match-everything).
        if text.contains('%') {
            return Err(format!(
                "`{path}|re` holds `%`, which delimits a CloudWatch regex and cannot appear inside one"
            ));
        }
        return Ok(Expr::Leaf(Leaf::Re { field: path.into(), re: text }));
    }
    if kind == "eq" && matches!(text.as_str(), "true" | "false") {
        return Ok(Expr::Leaf(Leaf::Bool { field: path.into(), value: text == "true" }));
    }
    if kind == "eq" && v.is_number() {
        return Ok(Expr::Leaf(Leaf::Num { field: path.into(), op: "=", value: text }));
    }
    if OBJECTS.contains(&path) {
        return Err(format!("`{path}` holds a JSON object; matching text inside it needs the field's own path"));
    }
    // Sigma's escapes: `\*` and `\?` are literal, `\\` a backslash.
    let mut body = String::new();
    let mut chars = text.chars().peekable();
    let (mut lead, mut trail, mut n) = (false, false, 0usize);
    let len = text.chars().count();
    while let Some(c) = chars.next() {
        n += 1;
        match c {
            '\\' if matches!(chars.peek(), Some('*' | '?' | '\\')) => {
                return Err(format!("`{path}` matches a literal `{}`, which CloudWatch cannot", chars.next().unwrap()));
            }
            '*' if n == 1 => lead = true,
            '*' if n == len => trail = true,
            '*' => {
                return Err(format!(
                    "`{path}` has a wildcard in the middle of `{text}`; CloudWatch allows one only at either end"
                ))
            }
            '?' => {
                return Err(format!("`{path}` uses the one-character wildcard `?` in `{text}`; CloudWatch has none"))
            }
            '"' | '\\' => return Err(format!("`{path}` compares with a quote or backslash in `{text}`")),
            c => body.push(c),
        }
    }
    let (lead, trail) = match kind {
        "contains" => (true, true),
        "startswith" => (lead, true),
        "endswith" => (true, trail),
        _ => (lead, trail),
    };
    let body = match if cased { Fixed::Text(body) } else { fix_case(path, &body, lead || trail, notes)? } {
        Fixed::Text(body) => body,
        Fixed::Regex(re) => {
            let re = format!("{}{re}{}", if lead { "" } else { "^" }, if trail { "" } else { "$" });
            if re.chars().count() > pattern::REGEX_MAX_LEN {
                return Err(format!(
                    "`{path}` is compared ignoring case, and its regex would be {} characters; CloudWatch allows {}",
                    re.chars().count(),
                    pattern::REGEX_MAX_LEN
                ));
            }
            return Ok(Expr::Leaf(Leaf::Re { field: path.into(), re }));
        }
    };
    let value = match (body.is_empty(), lead || trail) {
        (true, true) => "*".to_string(),
        _ => format!("{}{body}{}", if lead { "*" } else { "" }, if trail { "*" } else { "" }),
    };
    Ok(Expr::Leaf(Leaf::Str { field: path.into(), value }))
}

/// How a case-insensitive Sigma value is compared in CloudWatch, which compares case.
enum Fixed {
    /// As text: case cannot matter, or AWS writes the field in one case.
    Text(String),
    /// As a regex of character classes (without anchors).
    Regex(String),
}

/// Whether a case-insensitive Sigma value can be compared case-sensitively, and in which case.
fn fix_case(path: &str, body: &str, partial: bool, notes: &mut Vec<String>) -> Result<Fixed, String> {
    if !body.chars().any(|c| c.is_alphabetic()) {
        return Ok(Fixed::Text(body.to_string()));
    }
    if let Some((_, values)) = ENUMS.iter().find(|(f, _)| *f == path) {
        let lower = body.to_ascii_lowercase();
        if !partial {
            let canon = values.iter().find(|v| v.eq_ignore_ascii_case(body)).ok_or_else(|| {
                format!("`{path}` is never `{body}` in CloudTrail (it is one of {})", values.join(", "))
            })?;
            if *canon != body {
                notes.push(format!("{path}: `{body}` written as `{canon}`, the case CloudTrail writes"));
            }
            return Ok(Fixed::Text(canon.to_string()));
        }
        // Part of a value: as written only if every value it matches ignoring case, it
        // matches as written.
        if values.iter().any(|v| v.to_ascii_lowercase().contains(&lower) && !v.contains(body)) {
            return Ok(Fixed::Regex(any_case(path, body)?));
        }
        return Ok(Fixed::Text(body.to_string()));
    }
    if CASE_FIXED.contains(&path) {
        if path == "eventSource" && body.chars().any(|c| c.is_ascii_uppercase()) {
            return Err(format!("eventSource `{body}` has capitals; AWS writes sources in lowercase"));
        }
        return Ok(Fixed::Text(body.to_string()));
    }
    Ok(Fixed::Regex(any_case(path, body)?))
}

/// A value compared ignoring case, as CloudWatch can say it: each letter a character class
/// (`[Yy][Ee][Ss]`). Only characters AWS documents for filter-pattern regexes are written.
fn any_case(path: &str, body: &str) -> Result<String, String> {
    let mut re = String::new();
    for c in body.chars() {
        match c {
            c if c.is_ascii_alphabetic() => {
                re.push('[');
                re.push(c.to_ascii_uppercase());
                re.push(c.to_ascii_lowercase());
                re.push(']');
            }
            c if c.is_ascii_digit() || ":_#=@/;,-".contains(c) => re.push(c),
            '.' => re.push_str("\\."),
            c => {
                return Err(format!(
                    "`{path}` is compared ignoring case, and `{body}` holds `{c}`, which a CloudWatch regex cannot hold (a rule that knows the case can say `|cased`)"
                ))
            }
        }
    }
    Ok(re)
}

/// The condition's tokens.
fn tokenize(c: &str) -> Result<Vec<String>, String> {
    if c.contains('|') {
        return Err(format!("the condition `{c}` aggregates (`|`); a metric filter matches single events"));
    }
    let spaced = c.replace('(', " ( ").replace(')', " ) ");
    Ok(spaced.split_whitespace().map(str::to_string).collect())
}

struct Cond<'a> {
    tokens: Vec<String>,
    pos: usize,
    searches: &'a BTreeMap<String, Expr>,
}

impl Cond<'_> {
    fn parse(mut self) -> Result<Expr, String> {
        let e = self.or()?;
        match self.tokens.get(self.pos) {
            None => Ok(e),
            Some(t) => Err(format!("the condition has `{t}` where it should end")),
        }
    }
    fn peek(&self) -> Option<&str> {
        self.tokens.get(self.pos).map(String::as_str)
    }
    fn or(&mut self) -> Result<Expr, String> {
        self.chain("or", Self::and, Expr::Or)
    }
    fn and(&mut self) -> Result<Expr, String> {
        self.chain("and", Self::not, Expr::And)
    }
    /// `next (word next)*`, one operand kept as it is.
    fn chain(
        &mut self,
        word: &str,
        next: fn(&mut Self) -> Result<Expr, String>,
        all: fn(Vec<Expr>) -> Expr,
    ) -> Result<Expr, String> {
        let mut v = vec![next(self)?];
        while self.peek() == Some(word) {
            self.pos += 1;
            v.push(next(self)?);
        }
        Ok(if v.len() == 1 { v.remove(0) } else { all(v) })
    }
    fn not(&mut self) -> Result<Expr, String> {
        if self.peek() == Some("not") {
            self.pos += 1;
            return Ok(Expr::Not(Box::new(self.not()?)));
        }
        self.atom()
    }
    fn atom(&mut self) -> Result<Expr, String> {
        let t = self.peek().ok_or("the condition ends too soon")?.to_string();
        self.pos += 1;
        match t.as_str() {
            "(" => {
                let e = self.or()?;
                if self.peek() != Some(")") {
                    return Err("the condition has an unclosed `(`".into());
                }
                self.pos += 1;
                Ok(e)
            }
            "1" | "all" | "any" => {
                if self.peek() != Some("of") {
                    return Err(format!("`{t}` in the condition is not followed by `of`"));
                }
                self.pos += 1;
                let target = self.peek().ok_or("`of` names nothing")?.to_string();
                self.pos += 1;
                let chosen: Vec<Expr> = self
                    .searches
                    .iter()
                    .filter(|(n, _)| {
                        target == "them" && !n.starts_with('_')
                            || target.strip_suffix('*').is_some_and(|p| n.starts_with(p))
                            || **n == target
                    })
                    .map(|(_, e)| e.clone())
                    .collect();
                if chosen.is_empty() {
                    return Err(format!("`{t} of {target}` names no search"));
                }
                Ok(if t == "all" { Expr::And(chosen) } else { Expr::Or(chosen) })
            }
            name => self
                .searches
                .get(name)
                .cloned()
                .ok_or_else(|| format!("the condition names `{name}`, which is not defined")),
        }
    }
}

/// Pushes `not` down to the leaves; `negate` is whether an odd number of `not`s is above.
fn push_not(e: Expr, negate: bool) -> Result<Expr, String> {
    Ok(match (e, negate) {
        (Expr::Not(inner), n) => push_not(*inner, !n)?,
        (Expr::And(v), false) => Expr::And(v.into_iter().map(|x| push_not(x, false)).collect::<Result<_, _>>()?),
        (Expr::Or(v), false) => Expr::Or(v.into_iter().map(|x| push_not(x, false)).collect::<Result<_, _>>()?),
        (Expr::And(v), true) => Expr::Or(v.into_iter().map(|x| push_not(x, true)).collect::<Result<_, _>>()?),
        (Expr::Or(v), true) => Expr::And(v.into_iter().map(|x| push_not(x, true)).collect::<Result<_, _>>()?),
        (Expr::Leaf(l), false) => Expr::Leaf(l),
        (Expr::Leaf(l), true) => negated(l)?,
    })
}

/// A negated leaf: also true when the field is absent, as in Sigma.
fn negated(l: Leaf) -> Result<Expr, String> {
    let clause = match &l {
        Leaf::Str { field, value } => format!("$.{field} != \"{value}\" || $.{field} IS NULL || $.{field} NOT EXISTS"),
        Leaf::Num { field, op, value } => {
            let inv = match *op {
                "=" => "!=",
                "<" => ">=",
                "<=" => ">",
                ">" => "<=",
                _ => "<",
            };
            format!("$.{field} {inv} {value} || $.{field} IS NULL || $.{field} NOT EXISTS")
        }
        Leaf::Null { field } => {
            return Err(format!("`not {field}: null` (present and not null) has no CloudWatch form"))
        }
        Leaf::Bool { field, .. } => {
            return Err(format!("a negated boolean on `{field}` (true or \"true\") has no faithful CloudWatch form"))
        }
        Leaf::Re { field, .. } => {
            return Err(format!(
                "a negated regex on `{field}` (a case-insensitive comparison is one) has no CloudWatch form"
            ))
        }
        Leaf::Raw(_) => unreachable!("raw clauses are made here, after negation"),
    };
    Ok(Expr::Leaf(Leaf::Raw(clause)))
}

fn count_regexes(e: &Expr) -> usize {
    match e {
        Expr::And(v) | Expr::Or(v) => v.iter().map(count_regexes).sum(),
        Expr::Not(inner) => count_regexes(inner),
        Expr::Leaf(Leaf::Re { .. }) => 1,
        Expr::Leaf(_) => 0,
    }
}

fn render(e: &Expr, top: bool) -> String {
    let join = |v: &[Expr], op: &str| {
        let parts: Vec<String> = v.iter().map(|x| render(x, false)).collect();
        if parts.len() == 1 {
            parts.into_iter().next().unwrap_or_default()
        } else if top {
            parts.join(&format!(" {op} "))
        } else {
            format!("({})", parts.join(&format!(" {op} ")))
        }
    };
    match e {
        Expr::And(v) => join(v, "&&"),
        Expr::Or(v) => join(v, "||"),
        Expr::Not(_) => unreachable!("push_not removed every `not`"),
        Expr::Leaf(l) => match l {
            Leaf::Str { field, value } => format!("($.{field} = \"{value}\")"),
            Leaf::Null { field } => format!("($.{field} IS NULL || $.{field} NOT EXISTS)"),
            Leaf::Bool { field, value } => {
                format!("($.{field} IS {} || $.{field} = \"{value}\")", if *value { "TRUE" } else { "FALSE" })
            }
            Leaf::Num { field, op, value } => format!("($.{field} {op} {value})"),
            Leaf::Raw(clause) => format!("({clause})"),
            Leaf::Re { field, re } => format!("($.{field} = %{re}%)"),
        },
    }
}

/// Blueprint YAML for the converted rules: a `detections:` list to paste or merge.
/// The converted rules as a blueprint's `detections:` section, written by the YAML
/// serializer: a rule's title, author and notes are a hostile rule's text, and only a
/// serializer can be trusted to keep them inside their strings. The only text written as
/// is, the first line, is socform's own.
pub fn to_yaml(rules: &[Converted], notify: &[String]) -> String {
    #[derive(serde::Serialize)]
    struct Detection<'a> {
        name: &'a str,
        description: String,
        pattern: &'a str,
        severity: &'a str,
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        attack: &'a [String],
        #[serde(skip_serializing_if = "<[String]>::is_empty")]
        notify: &'a [String],
    }
    #[derive(serde::Serialize)]
    struct Section<'a> {
        detections: Vec<Detection<'a>>,
    }
    let section = Section {
        detections: rules
            .iter()
            .map(|r| {
                let mut description = format!("{} (Sigma {}; author: {})", r.title, r.id, r.author);
                for n in &r.notes {
                    description.push_str(&format!("; note: {n}"));
                }
                Detection {
                    name: &r.name,
                    description,
                    pattern: &r.pattern,
                    severity: &r.severity,
                    attack: &r.attack,
                    notify,
                }
            })
            .collect(),
    };
    let body = serde_saphyr::to_string(&section).unwrap_or_else(|e| format!("# could not write the rules: {e}\n"));
    format!("# Converted by `socform import-sigma` from SigmaHQ rules (Detection Rule License 1.1).\n{body}")
}

#[cfg(test)]
mod tests;
