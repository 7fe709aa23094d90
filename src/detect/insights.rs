//! Logs Insights queries for investigation: the events a detection's filter pattern looks at,
//! with who made the call, from where, and what it was.
//!
//! A JSON filter pattern is translated into a Logs Insights `filter` clause: `$.a.b` becomes
//! the field `a.b` (Logs Insights flattens CloudTrail's JSON the same way, `$.a[0]` becoming
//! `a.0`), `=` and `!=` against text compare exactly, or with `like` and an anchored regular
//! expression when the text has `*` wildcards, `%regex%` becomes `like /regex/`, numbers
//! compare as numbers, `NOT EXISTS` becomes `not ispresent(...)`, `&&` and `||` become `and`
//! and `or`. Term patterns become `@message like` each required term. The query is for a
//! person reading events, not an alarm: where the two languages differ at the edges (a
//! comparison on an absent field), it errs towards showing more.
//!
//! **Architecture Invariant:** pure text in, text out.

use super::pattern::{self, Expr, Operand, Pattern, Step, TermKind, Test};

/// The columns every investigation query shows: when, who, from where, what, and the outcome.
pub const FIELDS: &str =
    "@timestamp, userIdentity.arn, userIdentity.type, sourceIPAddress, userAgent, eventSource, eventName, awsRegion, errorCode, errorMessage";

/// The Logs Insights query for the events `filter_pattern` matches, newest first.
pub fn query(filter_pattern: &str) -> Result<String, pattern::PatternError> {
    let filter = match pattern::parse(filter_pattern)? {
        Pattern::All => None,
        Pattern::Json(e) => Some(expr(&e)),
        Pattern::Terms(terms) => {
            let parts: Vec<String> = terms
                .iter()
                .filter(|t| t.kind != TermKind::Optional)
                .map(|t| {
                    let like = format!("@message like {}", matcher(&t.matcher));
                    if t.kind == TermKind::Excluded {
                        format!("not ({like})")
                    } else {
                        like
                    }
                })
                .collect();
            (!parts.is_empty()).then(|| parts.join(" and "))
        }
        // Space-delimited patterns name positions, which Logs Insights would need a `parse`
        // for: the query shows every event of the group.
        Pattern::Space(_) => None,
    };
    let mut q = format!("fields {FIELDS}");
    if let Some(f) = filter {
        q.push_str(&format!("\n| filter {f}"));
    }
    q.push_str("\n| sort @timestamp desc\n| limit 200");
    Ok(q)
}

fn matcher(m: &pattern::Matcher) -> String {
    match m {
        pattern::Matcher::Literal(s) => format!("/{}/", escape_regex(s)),
        pattern::Matcher::Regex(r) => format!("/{}/", r.as_str()),
    }
}

fn field(steps: &[Step]) -> String {
    let parts: Vec<String> = steps
        .iter()
        .map(|s| match s {
            Step::Key(k) if k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') => k.clone(),
            Step::Key(k) => format!("`{}`", k.replace('`', "")),
            Step::Index(i) => i.to_string(),
        })
        .collect();
    parts.join(".")
}

fn expr(e: &Expr) -> String {
    match e {
        Expr::Or(items) => format!("({})", items.iter().map(expr).collect::<Vec<_>>().join(" or ")),
        Expr::And(items) => format!("({})", items.iter().map(expr).collect::<Vec<_>>().join(" and ")),
        Expr::Test(sel, test) => {
            let f = field(&sel.steps);
            match test {
                Test::Cmp(op, Operand::Text(t)) if t.contains('*') => {
                    let re = format!("/^{}$/", t.split('*').map(escape_regex).collect::<Vec<_>>().join(".*"));
                    match op {
                        pattern::Op::Ne => format!("{f} not like {re}"),
                        _ => format!("{f} like {re}"),
                    }
                }
                Test::Cmp(op, Operand::Text(t)) => format!("{f} {} {}", op_text(*op), quote(t)),
                Test::Cmp(op, Operand::Number(n)) => format!("{f} {} {n}", op_text(*op)),
                Test::Cmp(op, Operand::Regex(r)) => match op {
                    pattern::Op::Ne => format!("{f} not like /{}/", r.as_str()),
                    _ => format!("{f} like /{}/", r.as_str()),
                },
                Test::IsNull => format!("isblank({f})"),
                Test::IsTrue => format!("{f} = 1"),
                Test::IsFalse => format!("{f} = 0"),
                Test::NotExists => format!("not ispresent({f})"),
            }
        }
    }
}

fn op_text(op: pattern::Op) -> &'static str {
    match op {
        pattern::Op::Eq => "=",
        pattern::Op::Ne => "!=",
        pattern::Op::Lt => "<",
        pattern::Op::Le => "<=",
        pattern::Op::Gt => ">",
        pattern::Op::Ge => ">=",
    }
}

fn quote(s: &str) -> String {
    format!("\"{}\"", s.replace('\\', "\\\\").replace('"', "\\\""))
}

/// Escapes what a Logs Insights regular expression (between `/`) would read as syntax.
fn escape_regex(s: &str) -> String {
    let mut out = String::new();
    for c in s.chars() {
        if "\\^$.|?*+()[]{}/".contains(c) {
            out.push('\\');
        }
        out.push(c);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_patterns_become_filters_on_the_same_fields() {
        let q = query(r#"{ ($.eventSource = kms.amazonaws.com) && (($.eventName = DisableKey) || ($.eventName = ScheduleKeyDeletion)) }"#).unwrap();
        assert_eq!(
            q,
            format!("fields {FIELDS}\n| filter (eventSource = \"kms.amazonaws.com\" and (eventName = \"DisableKey\" or eventName = \"ScheduleKeyDeletion\"))\n| sort @timestamp desc\n| limit 200")
        );
        let q = query(r#"{ $.userIdentity.type = "Root" && $.userIdentity.invokedBy NOT EXISTS && $.eventType != "AwsServiceEvent" }"#).unwrap();
        assert!(q.contains("| filter (userIdentity.type = \"Root\" and not ispresent(userIdentity.invokedBy) and eventType != \"AwsServiceEvent\")"), "{q}");
    }

    #[test]
    fn wildcards_regexes_numbers_and_indexes() {
        let q = query(r#"{ ($.errorCode = "*UnauthorizedOperation") || ($.errorCode = "AccessDenied*") }"#).unwrap();
        assert!(
            q.contains(r#"(errorCode like /^.*UnauthorizedOperation$/ or errorCode like /^AccessDenied.*$/)"#),
            "{q}"
        );
        let q = query(r#"{ $.resources[0].ARN = %arn:aws:s3:::prod-.*% && $.bytes > 1000 }"#).unwrap();
        assert!(q.contains("resources.0.ARN like /arn:aws:s3:::prod-.*/ and bytes > 1000"), "{q}");
        let q = query(r#"{ $.requestParameters.policy != "a\"b" }"#).unwrap();
        assert!(q.contains(r#"requestParameters.policy != "a\"b""#), "{q}");
    }

    #[test]
    fn term_patterns_and_everything() {
        assert!(query("ERROR -DEBUG")
            .unwrap()
            .contains("| filter @message like /ERROR/ and not (@message like /DEBUG/)"));
        assert!(!query("").unwrap().contains("filter"));
        assert!(query("{ $.a = ").is_err());
    }

    #[test]
    fn every_catalog_pattern_translates() {
        for e in crate::detect::catalog::CATALOG {
            let q = query(e.pattern).unwrap_or_else(|err| panic!("{}: {err}", e.id));
            assert!(q.contains("| filter "), "{}: {q}", e.id);
            assert!(!q.contains("$."), "{}: a selector left untranslated: {q}", e.id);
        }
    }
}
