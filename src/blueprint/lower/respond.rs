//! Lowering `responses:`, `findings:` and the detections' dashboard: EventBridge rules and
//! their targets, response functions (their code packaged from the blueprint's folder), the
//! roles they run as and the permission EventBridge needs to invoke them, GuardDuty,
//! Security Hub, and the topic policies that let services publish to a topic.

use std::io::Write;

use super::iam::policy_doc;
use super::*;

/// A function's files by path inside its folder, as packaged.
type Files = BTreeMap<String, Vec<u8>>;

/// Lambda runtimes a response function may use (those AWS still lets you create).
const RUNTIMES: &[&str] = &[
    "python3.13",
    "python3.12",
    "python3.11",
    "python3.10",
    "python3.9",
    "nodejs22.x",
    "nodejs20.x",
    "java21",
    "java17",
    "dotnet8",
    "ruby3.3",
    "provided.al2023",
];

/// The largest packaged function socform keeps in a plan (and state): the code of a
/// response is a few files; anything larger belongs in a layer or an S3 artifact.
const CODE_LIMIT: u64 = 512 * 1024;
const CODE_FILES_LIMIT: usize = 200;

/// Security Hub standards by the short names a blueprint uses, and the ARN's path.
pub const STANDARDS: &[(&str, &str)] = &[
    ("aws-foundational", "standards/aws-foundational-security-best-practices/v/1.0.0"),
    ("cis-1.2", "ruleset/cis-aws-foundations-benchmark/v/1.2.0"),
    ("cis-1.4", "standards/cis-aws-foundations-benchmark/v/1.4.0"),
    ("cis-3.0", "standards/cis-aws-foundations-benchmark/v/3.0.0"),
    ("pci-3.2.1", "standards/pci-dss/v/3.2.1"),
    ("nist-800-53", "standards/nist-800-53/v/5.0.0"),
];

const SECURITY_HUB_LABELS: &[&str] = &["INFORMATIONAL", "LOW", "MEDIUM", "HIGH", "CRITICAL"];

impl Lower<'_> {
    /// Records that `service` publishes to the topic `key`: the topic gets a policy saying so.
    pub(super) fn publishes_to(&mut self, key: &str, service: &str) {
        self.topic_publishers.entry(key.to_string()).or_default().insert(service.to_string());
    }

    /// Writes the access policy of every topic a service other than CloudWatch publishes to:
    /// the account keeps what AWS's default policy gives it, and each service may publish
    /// on this account's behalf only.
    pub(super) fn topic_policies(&mut self) {
        let publishers = std::mem::take(&mut self.topic_publishers);
        for (key, mut services) in publishers {
            let topic = Address::new(Kind::SnsTopic, key.as_str());
            self.place_with(&topic);
            let Some((r, _)) = self.resources.get_mut(&topic) else { continue };
            let Some(name) = r.attrs.get("name").and_then(Value::as_str).map(str::to_string) else { continue };
            // Alarms publish as cloudwatch.amazonaws.com once a topic has a policy of its own.
            services.insert("cloudwatch.amazonaws.com".into());
            let arn = format!("arn:${{aws.partition}}:sns:{}:${{aws.account_id}}:{name}", self.region);
            let policy = policy_doc(vec![
                json!({
                    "Sid": "AccountOwner",
                    "Effect": "Allow",
                    "Principal": {"AWS": "arn:${aws.partition}:iam::${aws.account_id}:root"},
                    "Action": [
                        "SNS:GetTopicAttributes", "SNS:SetTopicAttributes", "SNS:AddPermission",
                        "SNS:RemovePermission", "SNS:DeleteTopic", "SNS:Subscribe",
                        "SNS:ListSubscriptionsByTopic", "SNS:Publish"
                    ],
                    "Resource": arn,
                }),
                json!({
                    "Sid": "ServicesPublish",
                    "Effect": "Allow",
                    "Principal": {"Service": services.into_iter().collect::<Vec<_>>()},
                    "Action": "sns:Publish",
                    "Resource": arn,
                    "Condition": {"StringEquals": {"aws:SourceAccount": "${aws.account_id}"}},
                }),
            ]);
            r.attrs.insert("policy".into(), policy);
        }
    }

    /// Topics named by `notify`, each as an EventBridge target (and allowed to be published to).
    fn topic_targets(&mut self, notify: &[Sp<String>]) -> Vec<spec::EventTarget> {
        let mut targets = Vec::new();
        for t in notify {
            let Some(key) = self.reference(Section::Topic, t) else { continue };
            self.publishes_to(&key, "events.amazonaws.com");
            targets.push(spec::EventTarget {
                id: format!("topic-{key}"),
                arn: self.out(Section::Topic, &key, "arn"),
                role_arn: None,
                input_paths: BTreeMap::new(),
                input_template: None,
            });
        }
        targets
    }

    fn event_rule(&mut self, key: &str, rule: NewRule, own_tags: &raw::Tags, loc: Loc) -> Address {
        let NewRule { description, pattern, enabled, mut targets } = rule;
        let name = self.default_name(key);
        if name.len() > 64 {
            self.error(
                loc,
                format!("the EventBridge rule name `{name}` is longer than 64 characters: shorten the key"),
            );
        }
        self.claim_name(Kind::EventRule, &name, loc);
        targets.sort();
        let tags = self.tags(own_tags, loc);
        let attrs = to_attrs(&spec::EventRule {
            name,
            description,
            event_pattern: pattern,
            state: if enabled { "ENABLED" } else { "DISABLED" }.into(),
            targets,
            tags,
        });
        let address = Address::new(Kind::EventRule, key);
        self.add(address.clone(), attrs, loc);
        address
    }

    // ---- responses ---------------------------------------------------------------------

    pub(super) fn response(&mut self, key: &Sp<String>, r: raw::Response, loc: Loc) {
        let Some(pattern) = self.trigger(&r.trigger) else { return };
        if r.function.is_none() && r.runbook.is_none() && r.notify.is_empty() {
            self.error_help(
                loc,
                format!("response `{}` does nothing", key.value),
                "give it a `function`, a `runbook` or `notify` topics",
            );
            return;
        }
        let rule = Address::new(Kind::EventRule, key.value.as_str());
        let rule_arn = output_ref(&rule, "arn");
        let mut targets = self.topic_targets(&r.notify);
        if let Some(f) = &r.function {
            if let Some(function) = self.function(key, f) {
                targets.push(spec::EventTarget {
                    id: "function".into(),
                    arn: output_ref(&function, "arn"),
                    role_arn: None,
                    input_paths: BTreeMap::new(),
                    input_template: None,
                });
                let attrs = to_attrs(&spec::LambdaPermission {
                    function_name: output_ref(&function, "name"),
                    statement_id: "socform-events".into(),
                    action: "lambda:InvokeFunction".into(),
                    principal: "events.amazonaws.com".into(),
                    source_arn: rule_arn.clone(),
                });
                self.add(Address::new(Kind::LambdaPermission, key.value.as_str()), attrs, f.loc);
            }
        }
        if let Some(rb) = &r.runbook {
            if let Some(t) = self.runbook(key, rb) {
                targets.push(t);
            }
        }
        let description = r.description.clone().or_else(|| Some(format!("socform response {}", key.value)));
        self.event_rule(&key.value, NewRule { description, pattern, enabled: r.enabled, targets }, &r.tags, loc);
    }

    /// The EventBridge pattern of a trigger.
    fn trigger(&mut self, t: &Sp<raw::Trigger>) -> Option<Value> {
        let set = [t.api_calls.is_some(), t.config_noncompliant.is_some(), t.guardduty.is_some()];
        if set.iter().filter(|s| **s).count() != 1 {
            self.error_help(
                t.loc,
                "a trigger has exactly one of `api_calls`, `config_noncompliant` and `guardduty`",
                "use one response per trigger",
            );
            return None;
        }
        if let Some(c) = &t.api_calls {
            let source = &c.source;
            let service = source.strip_suffix(".amazonaws.com").filter(|s| {
                !s.is_empty() && s.bytes().all(|b| b.is_ascii_lowercase() || b.is_ascii_digit() || b == b'-')
            });
            let Some(service) = service else {
                self.error_help(
                    source.loc,
                    format!("`{}` is not an event source", source.value),
                    "write it as CloudTrail does, such as `ec2.amazonaws.com`",
                );
                return None;
            };
            if c.names.is_empty() {
                self.error(c.loc, "`names` lists at least one API call, such as `AuthorizeSecurityGroupIngress`");
                return None;
            }
            let mut names = Vec::new();
            for n in &c.names {
                if n.is_empty() || !n.bytes().all(|b| b.is_ascii_alphanumeric()) {
                    self.error(
                        n.loc,
                        format!("`{}` is not an API call name: use one such as `PutBucketPolicy`", n.value),
                    );
                } else {
                    names.push(n.value.clone());
                }
            }
            names.sort();
            names.dedup();
            return Some(json!({
                "source": [format!("aws.{service}")],
                "detail-type": ["AWS API Call via CloudTrail"],
                "detail": {"eventSource": [source.value], "eventName": names},
            }));
        }
        if let Some(rules) = &t.config_noncompliant {
            let mut names = Vec::new();
            for key in rules.value.iter() {
                let address = Address::new(Kind::ConfigRule, key.value.as_str());
                match self.resources.get(&address) {
                    Some(_) => names.push(output_ref(&address, "name")),
                    None => self.error_help(
                        key.loc,
                        format!("no Config rule named `{}`", key.value),
                        "name a key of `config.rules`",
                    ),
                }
            }
            if names.is_empty() {
                self.error(rules.loc, "`config_noncompliant` names at least one rule of `config.rules`");
                return None;
            }
            names.sort();
            return Some(json!({
                "source": ["aws.config"],
                "detail-type": ["Config Rules Compliance Change"],
                "detail": {
                    "messageType": ["ComplianceChangeNotification"],
                    "configRuleName": names,
                    "newEvaluationResult": {"complianceType": ["NON_COMPLIANT"]},
                },
            }));
        }
        let g = t.guardduty.as_ref()?;
        let min = self.guardduty_severity(&g.min_severity)?;
        let mut pattern = guardduty_pattern(min);
        if !g.accounts.is_empty() {
            let mut ids = Vec::new();
            for a in &g.accounts {
                match names::account_id(&a.value) {
                    Ok(()) => ids.push(a.value.clone()),
                    Err(m) => self.error(a.loc, m),
                }
            }
            pattern["detail"]["accountId"] = json!(ids);
        }
        Some(pattern)
    }

    fn guardduty_severity(&mut self, s: &Sp<f64>) -> Option<f64> {
        if !(1.0..=8.9).contains(&s.value) {
            self.error_help(
                s.loc,
                format!("GuardDuty severity {} is out of range", s.value),
                "use 1 to 8.9: 4 is medium, 7 high",
            );
            return None;
        }
        Some(s.value)
    }

    /// The response function, its role and its packaged code.
    fn function(&mut self, key: &Sp<String>, f: &Sp<raw::Function>) -> Option<Address> {
        let name = self.default_name(key);
        let name_ok = name.len() <= 64;
        if !name_ok {
            self.error(key.loc, format!("the function name `{name}` is longer than 64 characters: shorten the key"));
        }
        self.claim_name(Kind::LambdaFunction, &name, key.loc);
        let runtime = f.runtime.clone().map(|r| r.value).unwrap_or_else(|| "python3.12".into());
        if !RUNTIMES.contains(&runtime.as_str()) {
            let loc = f.runtime.as_ref().map(|r| r.loc).unwrap_or(f.loc);
            let help = match did_you_mean(&runtime, RUNTIMES.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("use one of {}", RUNTIMES.join(", ")),
            };
            self.error_help(loc, format!("`{runtime}` is not a Lambda runtime socform can create"), help);
        }
        let timeout = f.timeout.as_ref().map(|t| t.value).unwrap_or(60);
        if !(1..=900).contains(&timeout) {
            self.error(f.timeout.as_ref().map(|t| t.loc).unwrap_or(f.loc), "timeout is 1 to 900 seconds");
        }
        let memory = f.memory.as_ref().map(|m| m.value).unwrap_or(128);
        if !(128..=10240).contains(&memory) {
            self.error(f.memory.as_ref().map(|m| m.loc).unwrap_or(f.loc), "memory is 128 to 10240 MB");
        }
        let mut environment = BTreeMap::new();
        for (k, v) in &f.environment {
            let ok = k.chars().next().is_some_and(|c| c.is_ascii_alphabetic())
                && k.chars().all(|c| c.is_ascii_alphanumeric() || c == '_');
            if !ok || k.starts_with("AWS_") {
                self.error(
                    v.loc,
                    format!("`{k}` is not a variable a function may set: letters, digits and `_`, not `AWS_`"),
                );
                continue;
            }
            if let Some(v) = self.user_templates(v) {
                environment.insert(k.clone(), v);
            }
        }
        let (zip, files) = match self.package(&f.code) {
            Ok(p) => p,
            Err((message, help)) => {
                self.error_help(f.code.loc, message, help);
                return None;
            }
        };
        // The handler names a file of the package: `handler.lambda_handler` needs
        // `handler.py` (Python) or `handler.js`/`handler.mjs` (Node.js).
        let handler = &f.handler;
        if let Some((module, func)) = handler.rsplit_once('.') {
            let candidates: Vec<String> = if runtime.starts_with("python") {
                vec![format!("{}.py", module.replace('.', "/"))]
            } else if runtime.starts_with("nodejs") {
                vec![format!("{module}.js"), format!("{module}.mjs"), format!("{module}.cjs")]
            } else {
                vec![]
            };
            if func.is_empty() {
                self.error(handler.loc, format!("`{}` names no function: write `FILE.FUNCTION`", handler.value));
            } else if !candidates.is_empty() && !candidates.iter().any(|c| files.contains_key(c)) {
                self.error_help(
                    handler.loc,
                    format!("the handler `{}` needs `{}` in `{}`", handler.value, candidates[0], f.code.value),
                    format!(
                        "the folder holds {}",
                        files.keys().map(|f| format!("`{f}`")).collect::<Vec<_>>().join(", ")
                    ),
                );
            } else if runtime.starts_with("python") && !python_defines(&files[&candidates[0]], func) {
                // A handler whose file is there but whose function is not fails on every
                // invocation: the response is disabled while it still looks wired.
                self.error_help(
                    handler.loc,
                    format!("`{}` defines no `{func}`: the handler `{}` cannot run", candidates[0], handler.value),
                    format!("write `def {func}(event, context):` in `{}`", candidates[0]),
                );
            }
        } else if runtime.starts_with("python") || runtime.starts_with("nodejs") {
            self.error(handler.loc, format!("`{}` is not a handler: write `FILE.FUNCTION`", handler.value));
        }
        // Logging to its own log group only. AWSLambdaBasicExecutionRole would let it write
        // to any log group, the trail's among them: a response could forge the events the
        // detections read.
        let group =
            format!("arn:${{aws.partition}}:logs:${{aws.region}}:${{aws.account_id}}:log-group:/aws/lambda/{name}");
        let mut statements = vec![
            json!({"Effect": "Allow", "Action": "logs:CreateLogGroup", "Resource": group}),
            json!({"Effect": "Allow", "Action": ["logs:CreateLogStream", "logs:PutLogEvents"], "Resource": format!("{group}:*")}),
        ];
        for st in &f.statements {
            if let Some(s) = self.statement(st) {
                statements.push(s);
            }
        }
        let role = self.generated_role(
            &format!("response-{}", key.value),
            "lambda.amazonaws.com",
            vec![],
            Some(policy_doc(statements)),
            f.loc,
        )?;
        let sha = {
            use base64::Engine;
            use sha2::Digest;
            base64::engine::general_purpose::STANDARD.encode(sha2::Sha256::digest(&zip))
        };
        let code_zip = {
            use base64::Engine;
            base64::engine::general_purpose::STANDARD.encode(&zip)
        };
        let tags = self.tags(&BTreeMap::new(), f.loc);
        let attrs = to_attrs(&spec::LambdaFunction {
            function_name: name,
            description: Some(format!("socform response {}", key.value)),
            role_arn: output_ref(&role, "arn"),
            runtime,
            handler: handler.value.clone(),
            timeout: timeout.clamp(1, 900) as i32,
            memory_size: memory.clamp(128, 10240) as i32,
            environment,
            source: f.code.value.clone(),
            code_sha256: sha,
            code_zip,
            tags,
        });
        if !name_ok {
            return None;
        }
        self.add(Address::new(Kind::LambdaFunction, key.value.as_str()), attrs, f.loc)
    }

    /// Packages a folder of the blueprint's tree into a zip that is the same for the same
    /// files: entries sorted by path, stored (not compressed), every time 1980-01-01, every
    /// mode 0644. Compiled Python (`__pycache__`, `.pyc`) is left out. Returns the zip and
    /// the paths it holds.
    fn package(&self, dir: &Sp<String>) -> Result<(Vec<u8>, Files), (String, String)> {
        let (top, root, inside) = self.confined_path(&dir.value)?;
        if !top.is_dir() {
            return Err((
                format!("`{}` is not a folder", dir.value),
                "`code` names the folder holding the function's files".into(),
            ));
        }
        let mut files = BTreeMap::new();
        let mut total = 0u64;
        let mut stack = vec![top.clone()];
        while let Some(d) = stack.pop() {
            let entries =
                std::fs::read_dir(&d).map_err(|e| (format!("cannot read `{}`: {e}", d.display()), inside.clone()))?;
            for entry in entries {
                let entry = entry.map_err(|e| (format!("cannot read `{}`: {e}", d.display()), inside.clone()))?;
                let path = entry.path();
                let file_name = entry.file_name().to_string_lossy().to_string();
                if file_name == "__pycache__" || file_name.ends_with(".pyc") {
                    continue;
                }
                let shown = path.strip_prefix(&top).unwrap_or(&path).display().to_string();
                let shown = format!("{}/{shown}", dir.value);
                // What goes into the zip is the folder's own regular files: no link of any
                // kind (an in-folder link still pulls another file in), no dot-file.
                let ft = entry.file_type().map_err(|e| (format!("cannot read `{shown}`: {e}"), inside.clone()))?;
                if ft.is_symlink() {
                    return Err((
                        format!(
                            "`{shown}` is a symbolic link: a function's folder holds regular files and folders only"
                        ),
                        inside,
                    ));
                }
                if file_name.starts_with('.') {
                    return Err((
                        format!("`{shown}` is a hidden file or folder: socform packs none into a function"),
                        "dot-files hold credentials and tool settings; move it out of the function's folder".into(),
                    ));
                }
                let real = path.canonicalize().map_err(|e| (format!("cannot read `{shown}`: {e}"), inside.clone()))?;
                if !real.starts_with(&root) {
                    return Err((format!("`{shown}` is not inside the blueprint's folder"), inside));
                }
                if ft.is_dir() {
                    stack.push(path);
                    continue;
                }
                if !ft.is_file() {
                    return Err((format!("`{shown}` is not a regular file"), inside));
                }
                super::hosts::single_name(&real, &shown)?;
                let name = path
                    .strip_prefix(&top)
                    .map(|p| p.components().map(|c| c.as_os_str().to_string_lossy()).collect::<Vec<_>>().join("/"))
                    .unwrap_or(file_name);
                let bytes = match super::super::read_capped(&real, CODE_LIMIT - total.min(CODE_LIMIT)) {
                    Ok(b) => b,
                    Err(super::super::ReadError::TooBig) => {
                        return Err((
                            format!("the code in `{}` is larger than {} KiB", dir.value, CODE_LIMIT / 1024),
                            "a response function is a few files; ship libraries as a Lambda layer".into(),
                        ))
                    }
                    Err(super::super::ReadError::NotAFile) => {
                        return Err((format!("`{shown}` is not a regular file"), inside))
                    }
                    Err(super::super::ReadError::Io(e)) => return Err((format!("cannot read `{shown}`: {e}"), inside)),
                };
                total += bytes.len() as u64;
                files.insert(name, bytes);
                if files.len() > CODE_FILES_LIMIT {
                    return Err((
                        format!("`{}` holds more than {CODE_FILES_LIMIT} files", dir.value),
                        "a response function is a few files; ship libraries as a Lambda layer".into(),
                    ));
                }
            }
        }
        if files.is_empty() {
            return Err((format!("`{}` holds no files", dir.value), "put the function's code there".into()));
        }
        Ok((zip_files(&files), files))
    }

    /// An SSM Automation runbook as a rule target: the role EventBridge starts it with, the
    /// role it runs as, and its parameters filled from the event.
    fn runbook(&mut self, key: &Sp<String>, rb: &Sp<raw::Runbook>) -> Option<spec::EventTarget> {
        let doc = &rb.document;
        if doc.is_empty() || !doc.chars().all(|c| c.is_ascii_alphanumeric() || "_-.".contains(c)) {
            self.error(doc.loc, format!("`{}` is not an Automation document name", doc.value));
            return None;
        }
        let mut statements = Vec::new();
        for st in &rb.statements {
            if let Some(s) = self.statement(st) {
                statements.push(s);
            }
        }
        let run_as = self.generated_role(
            &format!("runbook-{}", key.value),
            "ssm.amazonaws.com",
            vec![],
            (!statements.is_empty()).then(|| policy_doc(statements)),
            rb.loc,
        )?;
        let definition = format!(
            "arn:${{aws.partition}}:ssm:{}:${{aws.account_id}}:automation-definition/{}",
            self.region, doc.value
        );
        let start = policy_doc(vec![
            json!({
                "Effect": "Allow",
                "Action": "ssm:StartAutomationExecution",
                "Resource": format!("{definition}:*"),
            }),
            json!({
                "Effect": "Allow",
                "Action": "iam:PassRole",
                "Resource": output_ref(&run_as, "arn"),
                "Condition": {"StringEquals": {"iam:PassedToService": "ssm.amazonaws.com"}},
            }),
        ]);
        let starter =
            self.generated_role(&format!("start-{}", key.value), "events.amazonaws.com", vec![], Some(start), rb.loc)?;
        let mut paths = BTreeMap::new();
        let mut template = serde_json::Map::new();
        for (name, v) in &rb.parameters {
            if !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_') || name.is_empty() {
                self.error(v.loc, format!("`{name}` is not a parameter name"));
                continue;
            }
            if v.starts_with("$.") {
                let var = format!("p{}", paths.len());
                paths.insert(var.clone(), v.value.clone());
                template.insert(name.clone(), json!([format!("<{var}>")]));
            } else {
                template.insert(name.clone(), json!([v.value]));
            }
        }
        template.insert("AutomationAssumeRole".into(), json!([output_ref(&run_as, "arn")]));
        Some(spec::EventTarget {
            id: "runbook".into(),
            arn: format!("{definition}:$DEFAULT"),
            role_arn: Some(output_ref(&starter, "arn")),
            input_paths: paths,
            // EventBridge puts each `<name>` in as the JSON value it was: the quotes of the
            // template's strings are its own.
            input_template: Some(
                serde_json::to_string(&Value::Object(template)).expect("json").replace("\"<", "<").replace(">\"", ">"),
            ),
        })
    }

    // ---- findings ----------------------------------------------------------------------

    /// The organization's delegated administrator of a service (`admin`), designated from the
    /// caller's (management) account for the account `service` is placed in, after it is
    /// there; and its configuration for the members, set in that account.
    fn org_admin(
        &mut self,
        o: &Sp<raw::OrgAdmin>,
        admin: Kind,
        config_kind: Kind,
        service: &Address,
        config: Option<spec::OrgConfig>,
    ) {
        let Some(account) = self.placing.clone() else {
            self.error_help(
                o.loc,
                format!(
                    "the organization's {} is a member account, and this one is the caller's (the management account)",
                    admin.noun()
                ),
                "place the service in the administrator account with `account:` (a key of `accounts`)",
            );
            return;
        };
        self.placing = None;
        let attrs = to_attrs(&spec::OrgAdmin { admin_account_id: crate::model::template::account_ref(&account) });
        let admin_address = Address::new(admin, "organization");
        self.add_with(admin_address.clone(), attrs, o.loc, std::slice::from_ref(service));
        if o.if_exists == raw::IfExists::Use {
            self.uses_existing.insert(admin_address.clone());
        }
        self.placing = Some(account);
        if let Some(c) = config {
            self.add_with(Address::new(config_kind, "organization"), to_attrs(&c), o.loc, &[admin_address]);
        }
    }

    pub(super) fn findings(&mut self, n: &Node) {
        let Some(f) = self.read::<raw::Findings>(n) else { return };
        if let Some(g) = &f.guardduty {
            self.place(g.account.as_ref());
            let freq = g.publishing_frequency.clone().map(|f| f.value).unwrap_or_else(|| "FIFTEEN_MINUTES".into());
            if !["FIFTEEN_MINUTES", "ONE_HOUR", "SIX_HOURS"].contains(&freq.as_str()) {
                let loc = g.publishing_frequency.as_ref().map(|f| f.loc).unwrap_or(g.loc);
                self.error(loc, format!("`{freq}` is invalid: use FIFTEEN_MINUTES, ONE_HOUR or SIX_HOURS"));
            }
            let tags = self.tags(&BTreeMap::new(), g.loc);
            let attrs =
                to_attrs(&spec::GuarddutyDetector { enable: g.enabled, finding_publishing_frequency: freq, tags });
            let detector = Address::new(Kind::GuarddutyDetector, "main");
            self.add(detector.clone(), attrs, g.loc);
            if g.if_exists == raw::IfExists::Use {
                self.uses_existing.insert(detector.clone());
            }
            if let Some(o) = &g.organization {
                let config = o
                    .auto_enable
                    .then(|| spec::OrgConfig { auto_enable: true, detector_id: Some(output_ref(&detector, "id")) });
                self.org_admin(o, Kind::GuarddutyAdmin, Kind::GuarddutyOrgConfig, &detector, config);
            }
            if !g.notify.is_empty() {
                let min = match &g.min_severity {
                    Some(s) => self.guardduty_severity(s),
                    None => Some(7.0),
                };
                let targets = self.topic_targets(&g.notify);
                if let Some(min) = min {
                    let rule = NewRule {
                        description: Some(format!("GuardDuty findings of severity {min} and above")),
                        pattern: guardduty_pattern(min),
                        enabled: true,
                        targets,
                    };
                    let rule = self.event_rule("guardduty-findings", rule, &BTreeMap::new(), g.loc);
                    if let Some((r, _)) = self.resources.get_mut(&rule) {
                        r.depends_on.insert(detector);
                    }
                }
            }
        }
        if let Some(h) = &f.security_hub {
            self.place(h.account.as_ref());
            let mut standards = Vec::new();
            for s in &h.standards {
                match STANDARDS.iter().find(|(n, _)| *n == s.as_str()) {
                    Some((_, path)) => {
                        let region = if path.starts_with("ruleset/") { "" } else { self.region.as_str() };
                        standards.push(format!("arn:${{aws.partition}}:securityhub:{region}::{path}"));
                    }
                    None => {
                        let names: Vec<&str> = STANDARDS.iter().map(|(n, _)| *n).collect();
                        let help = match did_you_mean(s, names.iter().copied()) {
                            Some(best) => format!("did you mean `{best}`?"),
                            None => format!("use one of {}", names.join(", ")),
                        };
                        self.error_help(
                            s.loc,
                            format!("`{}` is not a Security Hub standard socform knows", s.value),
                            help,
                        );
                    }
                }
            }
            standards.sort();
            standards.dedup();
            let tags = self.tags(&BTreeMap::new(), h.loc);
            let hub = Address::new(Kind::SecurityHub, "main");
            self.add(hub.clone(), to_attrs(&spec::SecurityHub { standards, tags }), h.loc);
            if let Some(o) = &h.organization {
                let config = o.auto_enable.then_some(spec::OrgConfig { auto_enable: true, detector_id: None });
                self.org_admin(o, Kind::SecurityhubAdmin, Kind::SecurityhubOrgConfig, &hub, config);
            }
            if h.if_exists == raw::IfExists::Use {
                self.uses_existing.insert(hub.clone());
            }
            if !h.notify.is_empty() {
                let min = h.min_severity.clone().map(|m| m.value).unwrap_or_else(|| "HIGH".into());
                let Some(at) = SECURITY_HUB_LABELS.iter().position(|l| *l == min) else {
                    let loc = h.min_severity.as_ref().map(|m| m.loc).unwrap_or(h.loc);
                    self.error(loc, format!("`{min}` is invalid: use one of {}", SECURITY_HUB_LABELS.join(", ")));
                    return;
                };
                let targets = self.topic_targets(&h.notify);
                let rule = NewRule {
                    description: Some(format!("Security Hub findings of severity {min} and above")),
                    pattern: json!({
                        "source": ["aws.securityhub"],
                        "detail-type": ["Security Hub Findings - Imported"],
                        "detail": {"findings": {
                            "Severity": {"Label": SECURITY_HUB_LABELS[at..]},
                            "Workflow": {"Status": ["NEW"]},
                            "RecordState": ["ACTIVE"],
                        }},
                    }),
                    enabled: true,
                    targets,
                };
                let rule = self.event_rule("securityhub-findings", rule, &BTreeMap::new(), h.loc);
                if let Some((r, _)) = self.resources.get_mut(&rule) {
                    r.depends_on.insert(hub);
                }
            }
        }
    }

    // ---- the dashboard -----------------------------------------------------------------

    /// One dashboard for the detections: per severity, most severe first, a header, the
    /// state of its alarms, and each detection's metric against its threshold.
    pub(super) fn dashboard(&mut self, settings: Option<&Node>) {
        let settings = match settings {
            Some(n) => match self.read::<raw::DashboardSettings>(n) {
                Some(s) => Some(s),
                None => return,
            },
            None => None,
        };
        if settings.as_ref().is_some_and(|s| !s.enabled) || self.detections.is_empty() {
            return;
        }
        let loc = settings.as_ref().and_then(|s| s.name.as_ref().map(|n| n.loc)).unwrap_or_default();
        let name = settings
            .as_ref()
            .and_then(|s| s.name.clone())
            .map(|n| n.value)
            .unwrap_or_else(|| self.default_name("detections"));
        if name.is_empty()
            || name.len() > 255
            || !name.chars().all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
        {
            self.error(loc, format!("`{name}` is not a dashboard name: letters, digits, `-` and `_`, at most 255"));
            return;
        }
        let mut widgets = vec![json!({
            "type": "text", "width": 24, "height": 2,
            "properties": {"markdown": format!("# {} detections\nOne row per severity: the alarms' state, then each detection's metric against its threshold.", self.blueprint)},
        })];
        for severity in ["critical", "high", "medium", "low", "info"] {
            let of: Vec<&Detection> = self.detections.iter().filter(|d| d.severity == severity).collect();
            if of.is_empty() {
                continue;
            }
            widgets.push(json!({
                "type": "alarm", "width": 24, "height": 3,
                "properties": {
                    "title": format!("{severity}: alarms"),
                    "alarms": of.iter().map(|d| output_ref(&d.alarm, "arn")).collect::<Vec<_>>(),
                },
            }));
            for d in of {
                let Some((alarm, _)) = self.resources.get(&d.alarm) else { continue };
                let a = &alarm.attrs;
                let text = |k: &str| a.get(k).and_then(Value::as_str).unwrap_or_default().to_string();
                widgets.push(json!({
                    "type": "metric", "width": 8, "height": 6,
                    "properties": {
                        "title": d.name,
                        "region": self.region,
                        "metrics": [[text("namespace"), text("metric_name")]],
                        "stat": text("statistic"),
                        "period": a.get("period").cloned().unwrap_or(json!(300)),
                        "view": "timeSeries",
                        "annotations": {"horizontal": [{"label": "threshold", "value": a.get("threshold").cloned().unwrap_or(json!(1))}]},
                    },
                }));
            }
        }
        self.claim_name(Kind::Dashboard, &name, loc);
        // In the account of the detections' alarms (one dashboard cannot show two accounts'
        // alarms: the cross-account check says so).
        if let Some(first) = self.detections.first().map(|d| d.alarm.clone()) {
            self.place_with(&first);
        }
        let attrs = to_attrs(&spec::Dashboard { dashboard_name: name, body: json!({"widgets": widgets}) });
        self.add(Address::new(Kind::Dashboard, "detections"), attrs, loc);
    }
}

impl Lower<'_> {
    /// A Logs Insights saved query per detection, on the detection's log group.
    pub(super) fn investigation(&mut self, n: &Node) {
        let Some(inv) = self.read::<raw::Investigation>(n) else { return };
        if !inv.queries {
            return;
        }
        let detections: Vec<(String, String, Address)> =
            self.detections.iter().map(|d| (d.name.clone(), d.pattern.clone(), d.metric_filter.clone())).collect();
        for (name, pattern, filter) in detections {
            let Some(group) = self
                .resources
                .get(&filter)
                .and_then(|(r, _)| r.attrs.get("log_group_name"))
                .and_then(Value::as_str)
                .map(str::to_string)
            else {
                continue;
            };
            let query_string = match crate::detect::insights::query(&pattern) {
                Ok(q) => q,
                Err(e) => {
                    self.error(n.loc, format!("detection `{name}`: its pattern cannot be made a query: {e}"));
                    continue;
                }
            };
            let qname = format!("{}/{name}", self.blueprint);
            self.claim_name(Kind::QueryDefinition, &qname, n.loc);
            let attrs = to_attrs(&spec::QueryDefinition { name: qname, query_string, log_group_names: vec![group] });
            self.place_with(&filter);
            self.add(Address::new(Kind::QueryDefinition, name.as_str()), attrs, n.loc);
        }
    }
}

/// An EventBridge rule to make, but for its name and tags.
struct NewRule {
    description: Option<String>,
    pattern: Value,
    enabled: bool,
    targets: Vec<spec::EventTarget>,
}

/// GuardDuty findings of `min` severity and above.
fn guardduty_pattern(min: f64) -> Value {
    json!({
        "source": ["aws.guardduty"],
        "detail-type": ["GuardDuty Finding"],
        "detail": {"severity": [{"numeric": [">=", min]}]},
    })
}

/// A zip of `files` that depends on nothing but their names and bytes.
fn zip_files(files: &BTreeMap<String, Vec<u8>>) -> Vec<u8> {
    let mut w = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default()
        .compression_method(zip::CompressionMethod::Stored)
        .last_modified_time(zip::DateTime::default())
        .unix_permissions(0o644);
    for (name, bytes) in files {
        w.start_file(name.as_str(), options).expect("writing to memory");
        w.write_all(bytes).expect("writing to memory");
    }
    w.finish().expect("writing to memory").into_inner()
}

/// Whether Python source defines `name` at its top level: `def name(`, `async def name(`
/// or `name = ...` at the start of a line (what Lambda's import then finds).
fn python_defines(source: &[u8], name: &str) -> bool {
    let text = String::from_utf8_lossy(source);
    text.lines().any(|line| {
        let rest = line.strip_prefix("async ").unwrap_or(line);
        let def = rest.strip_prefix("def ").map(str::trim_start).and_then(|r| r.strip_prefix(name));
        let assign = line.strip_prefix(name);
        def.is_some_and(|r| r.trim_start().starts_with('('))
            || assign.is_some_and(|r| r.trim_start().starts_with('=') && !r.trim_start().starts_with("=="))
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_zip_depends_only_on_names_and_bytes() {
        let mut files = BTreeMap::new();
        files.insert("handler.py".to_string(), b"def handler(e, c):\n    return 1\n".to_vec());
        files.insert("lib/util.py".to_string(), b"X = 1\n".to_vec());
        let a = zip_files(&files);
        std::thread::sleep(std::time::Duration::from_millis(1100));
        assert_eq!(a, zip_files(&files), "the same files give the same bytes, whenever packaged");
        files.insert("lib/util.py".to_string(), b"X = 2\n".to_vec());
        assert_ne!(a, zip_files(&files));
        let mut archive = zip::ZipArchive::new(std::io::Cursor::new(a)).expect("a valid zip");
        let names: Vec<String> =
            (0..archive.len()).map(|i| archive.by_index(i).unwrap().name().unwrap().to_string()).collect();
        assert_eq!(names, ["handler.py", "lib/util.py"]);
    }
}
