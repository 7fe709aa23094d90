//! AWS naming rules and other value checks, each returning what is wrong in words a user can
//! act on. Pure functions of a string; [`super::lower`] attaches the location.

use std::net::Ipv4Addr;
use std::sync::LazyLock;

use regex::Regex;

/// Regions socform knows. A region outside this list is refused so that a typo
/// (`us-east1`) is caught before any call to AWS.
pub const REGIONS: &[&str] = &[
    "us-east-1",
    "us-east-2",
    "us-west-1",
    "us-west-2",
    "af-south-1",
    "ap-east-1",
    "ap-south-1",
    "ap-south-2",
    "ap-southeast-1",
    "ap-southeast-2",
    "ap-southeast-3",
    "ap-southeast-4",
    "ap-southeast-5",
    "ap-southeast-7",
    "ap-northeast-1",
    "ap-northeast-2",
    "ap-northeast-3",
    "ca-central-1",
    "ca-west-1",
    "eu-central-1",
    "eu-central-2",
    "eu-west-1",
    "eu-west-2",
    "eu-west-3",
    "eu-south-1",
    "eu-south-2",
    "eu-north-1",
    "il-central-1",
    "me-south-1",
    "me-central-1",
    "mx-central-1",
    "sa-east-1",
    "us-gov-east-1",
    "us-gov-west-1",
];

/// Retention periods CloudWatch Logs accepts, in days.
pub const RETENTION_DAYS: &[i64] =
    &[1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653];

fn re(pattern: &str) -> Regex {
    Regex::new(pattern).expect("static pattern")
}

/// Keys of blueprint entries: these become parts of addresses and default AWS names.
pub fn key(s: &str) -> Result<(), String> {
    static KEY: LazyLock<Regex> = LazyLock::new(|| re(r"^[a-z0-9][a-z0-9_-]{0,62}$"));
    if KEY.is_match(s) {
        Ok(())
    } else {
        Err(format!(
            "name `{s}` is invalid: use 1 to 63 lowercase letters, digits, `-` and `_`, starting with a letter or digit"
        ))
    }
}

/// An AWS account id: 12 digits.
pub fn account_id(s: &str) -> Result<(), String> {
    if s.len() == 12 && s.bytes().all(|b| b.is_ascii_digit()) {
        Ok(())
    } else {
        Err(format!("`{s}` is not an AWS account id"))
    }
}

pub fn blueprint_name(s: &str) -> Result<(), String> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[a-z0-9][a-z0-9-]{0,62}$"));
    if NAME.is_match(s) {
        Ok(())
    } else {
        Err(format!("blueprint name `{s}` is invalid: use 1 to 63 lowercase letters, digits and `-`"))
    }
}

pub fn region(s: &str) -> Result<(), String> {
    if REGIONS.contains(&s) {
        Ok(())
    } else {
        Err(format!("`{s}` is not an AWS region"))
    }
}

/// An availability zone of `region`: the region followed by one letter.
pub fn availability_zone(az: &str, region: &str) -> Result<(), String> {
    match az.strip_prefix(region) {
        Some(rest) if rest.len() == 1 && rest.as_bytes()[0].is_ascii_lowercase() => Ok(()),
        _ => Err(format!("availability zone `{az}` is not in region `{region}`: use `{region}a`, `{region}b`, ...")),
    }
}

static ACCOUNT_TEMPLATE: LazyLock<Regex> = LazyLock::new(|| re(r"\$\{account\.[a-z0-9_-]+\.id\}"));

/// Replaces `${aws.account_id}` and friends with a value of the right shape, so that a name
/// with a template can still be checked.
fn with_sample_globals(s: &str) -> String {
    let s = s.replace("${aws.account_id}", "123456789012").replace("${aws.caller_account_id}", "123456789012");
    let s = ACCOUNT_TEMPLATE.replace_all(&s, "123456789012");
    s.replace("${aws.region}", "us-east-1").replace("${aws.organization_id}", "o-exampleorgid")
}

/// S3 bucket naming rules (general purpose buckets).
pub fn bucket(raw: &str) -> Result<(), String> {
    let s = with_sample_globals(raw);
    let fail = |why: &str| Err(format!("bucket name `{raw}` is invalid: {why}"));
    if !(3..=63).contains(&s.len()) {
        return fail("use 3 to 63 characters");
    }
    if !s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'.' || b == b'-') {
        return fail("use lowercase letters, digits, `.` and `-`");
    }
    let (first, last) = (s.as_bytes()[0], s.as_bytes()[s.len() - 1]);
    if !first.is_ascii_alphanumeric() || !last.is_ascii_alphanumeric() {
        return fail("begin and end with a letter or digit");
    }
    if s.contains("..") {
        return fail("no two adjacent periods");
    }
    if s.parse::<Ipv4Addr>().is_ok() {
        return fail("it must not look like an IP address");
    }
    for prefix in ["xn--", "sthree-", "amzn-s3-demo-"] {
        if s.starts_with(prefix) {
            return fail(&format!("the prefix `{prefix}` is reserved"));
        }
    }
    for suffix in ["-s3alias", "--ol-s3", ".mrap", "--x-s3", "--table-s3"] {
        if s.ends_with(suffix) {
            return fail(&format!("the suffix `{suffix}` is reserved"));
        }
    }
    Ok(())
}

/// CloudWatch Logs log group names.
pub fn log_group(s: &str) -> Result<(), String> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[\.\-_/#A-Za-z0-9]{1,512}$"));
    if s.starts_with("aws/") {
        return Err(format!("log group name `{s}` is invalid: the prefix `aws/` is reserved"));
    }
    if NAME.is_match(s) {
        Ok(())
    } else {
        Err(format!("log group name `{s}` is invalid: use 1 to 512 letters, digits and `_ - / . #`"))
    }
}

/// CloudWatch alarm names.
pub fn alarm(s: &str) -> Result<(), String> {
    if s.is_empty() || s.chars().count() > 255 {
        return Err(format!("alarm name `{s}` is invalid: use 1 to 255 characters"));
    }
    if s.chars().any(|c| c.is_control()) {
        return Err(format!("alarm name `{s}` is invalid: control characters are not allowed"));
    }
    Ok(())
}

/// IAM role and instance profile names.
pub fn role(s: &str) -> Result<(), String> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[\w+=,.@-]{1,64}$"));
    if NAME.is_match(s) {
        Ok(())
    } else {
        Err(format!("role name `{s}` is invalid: use 1 to 64 letters, digits and `+ = , . @ _ -`"))
    }
}

pub fn security_group(s: &str) -> Result<(), String> {
    if s.is_empty() || s.len() > 255 {
        return Err(format!("security group name `{s}` is invalid: use 1 to 255 characters"));
    }
    if s.to_ascii_lowercase().starts_with("sg-") {
        return Err(format!("security group name `{s}` is invalid: names cannot start with `sg-`"));
    }
    if !s.chars().all(|c| c.is_ascii_graphic() || c == ' ') {
        return Err(format!("security group name `{s}` is invalid: use printable ASCII characters"));
    }
    Ok(())
}

pub fn trail(s: &str) -> Result<(), String> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9][A-Za-z0-9._-]{1,126}[A-Za-z0-9]$"));
    let bad_pairs = ["..", "._", "_.", ".-", "-.", "_-", "-_"];
    if NAME.is_match(s) && !bad_pairs.iter().any(|p| s.contains(p)) {
        Ok(())
    } else {
        Err(format!(
            "trail name `{s}` is invalid: use 3 to 128 letters, digits, `.`, `_` and `-`, starting and ending with a letter or digit"
        ))
    }
}

pub fn topic(s: &str) -> Result<(), String> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9_-]{1,256}$"));
    if NAME.is_match(s) {
        Ok(())
    } else {
        Err(format!("topic name `{s}` is invalid: use 1 to 256 letters, digits, `_` and `-`"))
    }
}

pub fn secret(s: &str) -> Result<(), String> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9/_+=.@-]{1,512}$"));
    if NAME.is_match(s) {
        Ok(())
    } else {
        Err(format!("secret name `{s}` is invalid: use 1 to 512 letters, digits and `/ _ + = . @ -`"))
    }
}

pub fn parameter(s: &str) -> Result<(), String> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9_./-]{1,1011}$"));
    if !NAME.is_match(s) {
        return Err(format!("parameter name `{s}` is invalid: use letters, digits and `_ . - /`"));
    }
    let bare = s.trim_start_matches('/').to_ascii_lowercase();
    if bare.starts_with("aws") || bare.starts_with("ssm") {
        return Err(format!("parameter name `{s}` is invalid: names beginning with `aws` or `ssm` are reserved"));
    }
    if s.contains('/') && !s.starts_with('/') {
        return Err(format!("parameter name `{s}` is invalid: a name with `/` must begin with `/`"));
    }
    if s.split('/').count() > 16 {
        return Err(format!("parameter name `{s}` is invalid: at most 15 levels"));
    }
    Ok(())
}

pub fn config_rule(s: &str) -> Result<(), String> {
    static NAME: LazyLock<Regex> = LazyLock::new(|| re(r"^[A-Za-z0-9_-]{1,128}$"));
    if NAME.is_match(s) {
        Ok(())
    } else {
        Err(format!("config rule name `{s}` is invalid: use 1 to 128 letters, digits, `_` and `-`"))
    }
}

/// A plausible email address: one `@`, a local part, a dotted domain, no spaces.
pub fn email(s: &str) -> Result<(), String> {
    static EMAIL: LazyLock<Regex> = LazyLock::new(|| {
        re(
            r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]+@[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?(?:\.[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*\.[A-Za-z]{2,}$",
        )
    });
    if EMAIL.is_match(s) && !s.starts_with('.') && !s.contains("..") && s.len() <= 254 {
        Ok(())
    } else {
        Err(format!("`{s}` is not an email address"))
    }
}

/// MITRE ATT&CK technique ids: `T1078` or `T1078.004`.
pub fn attack_id(s: &str) -> Result<(), String> {
    static ID: LazyLock<Regex> = LazyLock::new(|| re(r"^T\d{4}(\.\d{3})?$"));
    if ID.is_match(s) {
        Ok(())
    } else {
        Err(format!("`{s}` is not a MITRE ATT&CK technique id: use `T1234` or `T1234.001`"))
    }
}

pub fn iam_action(s: &str) -> Result<(), String> {
    static ACTION: LazyLock<Regex> = LazyLock::new(|| re(r"^([a-z0-9-]+:[A-Za-z0-9*?]+|\*)$"));
    if ACTION.is_match(s) {
        Ok(())
    } else {
        Err(format!("`{s}` is not an IAM action: use `service:Action`, such as `s3:GetObject`"))
    }
}

pub fn tag_key(s: &str) -> Result<(), String> {
    if s.is_empty() || s.chars().count() > 128 {
        return Err(format!("tag key `{s}` is invalid: use 1 to 128 characters"));
    }
    if s.starts_with("aws:") {
        return Err(format!("tag key `{s}` is invalid: the prefix `aws:` is reserved by AWS"));
    }
    if s.starts_with(crate::model::TAG_PREFIX) {
        return Err(format!("tag key `{s}` is invalid: the prefix `socform:` is reserved for ownership tags"));
    }
    Ok(())
}

/// A tag value: at most 256 characters of letters, digits, spaces and `_ . : / = + - @`
/// (what every service that takes tags accepts).
pub fn tag_value(s: &str) -> Result<(), String> {
    let ok = s.chars().count() <= 256 && s.chars().all(|c| c.is_alphanumeric() || c == ' ' || "_.:/=+-@".contains(c));
    if ok {
        Ok(())
    } else {
        Err(format!("`{s}` is not a valid tag value: at most 256 letters, digits, spaces and `_ . : / = + - @`"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bucket_rules_follow_s3() {
        assert!(bucket("soc-trail-logs").is_ok());
        assert!(bucket("lab-trail-${aws.account_id}").is_ok());
        for bad in ["Soc_Logs", "ab", "-abc", "a..b", "192.168.1.1", "xn--abc", "abc-s3alias"] {
            assert!(bucket(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn availability_zones_must_belong_to_the_region() {
        assert!(availability_zone("us-east-1a", "us-east-1").is_ok());
        assert!(availability_zone("us-west-2a", "us-east-1").is_err());
        assert!(availability_zone("us-east-1", "us-east-1").is_err());
        assert!(availability_zone("us-east-1az", "us-east-1").is_err());
    }

    #[test]
    fn emails_are_checked() {
        assert!(email("soc@example.com").is_ok());
        assert!(email("first.last+soc@sub.example.org").is_ok());
        for bad in ["soc", "soc@", "@example.com", "soc@example", "s oc@example.com", "a..b@example.com"] {
            assert!(email(bad).is_err(), "{bad} should be refused");
        }
    }

    #[test]
    fn names_with_reserved_prefixes_are_refused() {
        assert!(parameter("/aws/service/x").is_err());
        assert!(parameter("ssm-thing").is_err());
        assert!(parameter("/soc/wazuh/manager-ip").is_ok());
        assert!(log_group("aws/lambda").is_err());
        assert!(security_group("sg-web").is_err());
        assert!(tag_key("socform:address").is_err());
    }

    #[test]
    fn trail_names_follow_cloudtrail() {
        assert!(trail("security-monitoring-trail").is_ok());
        assert!(trail("ab").is_err());
        assert!(trail("my_-trail").is_err());
    }
}
