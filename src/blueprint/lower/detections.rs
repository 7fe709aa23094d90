//! Lowering `notifications:` and `detections:` (catalog entries merged, patterns checked by the engine).

use super::*;

impl Lower<'_> {
    pub(super) fn notification(&mut self, key: &Sp<String>, n: raw::Notification, loc: Loc) {
        let name = n.name.clone().unwrap_or_else(|| Sp::new(self.default_name(key), key.loc));
        self.check(name.loc, names::topic(&name));
        self.claim_name(Kind::SnsTopic, &name, name.loc);
        let tags = self.tags(&n.tags, loc);
        let topic = Address::new(Kind::SnsTopic, key.value.as_str());
        let attrs = to_attrs(&spec::SnsTopic {
            name: name.value.clone(),
            kms_master_key_id: n.kms_key.clone(),
            policy: None,
            tags,
        });
        self.add(topic.clone(), attrs, loc);
        let arn = output_ref(&topic, "arn");
        let subscribe = |cx: &mut Self, protocol: &str, endpoint: &Sp<String>| {
            let attrs = to_attrs(&spec::SnsSubscription {
                topic_arn: arn.clone(),
                protocol: protocol.into(),
                endpoint: endpoint.value.clone(),
            });
            let addr = Address::new(Kind::SnsSubscription, format!("{}:{protocol}:{}", key.value, endpoint.value));
            if cx.resources.contains_key(&addr) {
                cx.error(endpoint.loc, format!("`{}` is subscribed twice", endpoint.value));
            } else {
                cx.add(addr, attrs, endpoint.loc);
            }
        };
        for e in &n.email {
            if self.check(e.loc, names::email(e)) {
                subscribe(self, "email", e);
            }
        }
        for e in &n.https {
            if e.starts_with("https://") && e.len() > 8 && !e.contains(' ') {
                subscribe(self, "https", e);
            } else {
                self.error(e.loc, format!("`{}` is not an https:// URL", e.value));
            }
        }
        for e in &n.sqs {
            if e.starts_with("arn:") && e.contains(":sqs:") {
                subscribe(self, "sqs", e);
            } else {
                self.error(e.loc, format!("`{}` is not an SQS queue ARN", e.value));
            }
        }
    }

    pub(super) fn detections(&mut self, n: &Node) {
        let items = match &n.value {
            super::super::node::Value::Seq(items) => items.as_slice(),
            super::super::node::Value::Null => &[],
            _ => {
                self.error(n.loc, "`detections` is a list: `- name: ...`");
                return;
            }
        };
        let mut seen: HashMap<String, Loc> = HashMap::new();
        // Entries the list names with its own `use:`: a pack leaves those to that item.
        let used: Vec<String> =
            items.iter().filter_map(|i| i.get("use").and_then(|u| u.as_str()).map(str::to_string)).collect();
        let mut expanded: Vec<(raw::Detection, Loc)> = vec![];
        for item in items {
            if item.get("pack").is_some() {
                if let Some(p) = self.read::<raw::Pack>(item) {
                    expanded.extend(self.pack(p, &used, item.loc));
                }
                continue;
            }
            if let Some(d) = self.read::<raw::Detection>(item) {
                expanded.push((d, item.loc));
            }
        }
        for (mut d, item_loc) in expanded {
            let mut catalog = None;
            if let Some(u) = d.use_.clone() {
                let Some(entry) = crate::detect::catalog::get(&u) else {
                    let ids: Vec<&str> = crate::detect::catalog::CATALOG.iter().map(|e| e.id).collect();
                    let help = match did_you_mean(&u, ids.iter().copied()) {
                        Some(best) => format!("did you mean `{best}`?"),
                        None => format!("the catalog has {}", ids.join(", ")),
                    };
                    self.error_help(u.loc, format!("`{}` is not in the detection catalog", u.value), help);
                    continue;
                };
                merge_catalog(&mut d, entry, u.loc);
                catalog = Some(entry.id);
            }
            let Some(name) = d.name.clone() else {
                self.error(item_loc, "a detection needs a `name` (or `use` of a catalog entry)");
                continue;
            };
            if !self.check(name.loc, names::key(&name)) {
                continue;
            }
            if let Some(first) = seen.get(&name.value) {
                let first = *first;
                self.error_help(
                    name.loc,
                    format!("detection `{}` is defined twice", name.value),
                    format!("the first is at line {}", first.line),
                );
                continue;
            }
            seen.insert(name.value.clone(), name.loc);
            self.detection(&name, d, item_loc, catalog);
        }
    }

    /// The detections a `pack:` item stands for: its entries as `use:` items with the pack's
    /// topics, less those the list uses itself.
    fn pack(&mut self, p: raw::Pack, used: &[String], loc: Loc) -> Vec<(raw::Detection, Loc)> {
        const PACKS: &[&str] = &["stratus"];
        if p.pack.value != "stratus" {
            let help = match did_you_mean(&p.pack, PACKS.iter().copied()) {
                Some(best) => format!("did you mean `{best}`?"),
                None => format!("the packs are {}", PACKS.join(", ")),
            };
            self.error_help(p.pack.loc, format!("`{}` is not a detection pack", p.pack.value), help);
            return vec![];
        }
        let by_severity = p.notify_by_severity.unwrap_or_default();
        for key in by_severity.keys() {
            if !["critical", "high", "medium", "low", "info"].contains(&key.as_str()) {
                self.error(
                    p.pack.loc,
                    format!("`notify_by_severity` key `{key}` is not a severity: use `critical`, `high`, `medium`, `low` or `info`"),
                );
            }
        }
        if p.enabled.is_some_and(|e| !e.value) {
            return vec![];
        }
        if self.trail_log_group.is_none() {
            self.error_help(
                p.pack.loc,
                "the `stratus` pack watches the trail's log group, and this blueprint has none",
                "send the trail to CloudWatch Logs with `trail.cloudwatch_logs`",
            );
            return vec![];
        }
        crate::detect::stratus::pack()
            .filter(|e| !used.iter().any(|u| u == e.id))
            .map(|e| {
                let mut notify = p.notify.clone().unwrap_or_default();
                notify.extend(by_severity.get(e.severity).cloned().unwrap_or_default());
                let d = raw::Detection {
                    use_: Some(Sp::new(e.id.to_string(), p.pack.loc)),
                    notify: (!notify.is_empty()).then_some(notify),
                    ..raw::Detection::default()
                };
                (d, loc)
            })
            .collect()
    }

    pub(super) fn detection(&mut self, name: &Sp<String>, d: raw::Detection, loc: Loc, catalog: Option<&str>) {
        let Some(pattern) = d.pattern.clone() else {
            self.error(loc, format!("detection `{}` needs a `pattern`", name.value));
            return;
        };
        let regexes = match crate::detect::pattern::parse_counted(&pattern) {
            Ok((_, n)) => n,
            Err(e) => {
                let at = self.column_in(&pattern, e.column);
                self.error(at, format!("invalid filter pattern: {}", e.message));
                0
            }
        };

        if pattern.chars().count() > PATTERN_LIMIT {
            self.error(
                pattern.loc,
                format!(
                    "the filter pattern is {} characters long: CloudWatch Logs accepts at most {PATTERN_LIMIT}",
                    pattern.chars().count()
                ),
            );
        }
        let log_group = match &d.log_group {
            Some(lg) => self.reference(Section::LogGroup, lg),
            None => match &self.trail_log_group {
                Some(lg) => Some(lg.clone()),
                None => {
                    self.error_help(
                        loc,
                        format!("detection `{}` has no log group to watch", name.value),
                        "set `log_group`, or send the trail to CloudWatch Logs with `trail.cloudwatch_logs`",
                    );
                    None
                }
            },
        };
        let severity = d.severity.clone().map(|s| s.value.clone()).unwrap_or_else(|| "medium".into());
        if let Some(s) = &d.severity {
            if !["critical", "high", "medium", "low", "info"].contains(&s.as_str()) {
                self.error(
                    s.loc,
                    format!("severity `{}` is invalid: use `critical`, `high`, `medium`, `low` or `info`", s.value),
                );
            }
        }
        let mut attack = Vec::new();
        for a in d.attack.iter().flatten() {
            if self.check(a.loc, names::attack_id(a)) {
                attack.push(a.value.clone());
            }
        }
        let mut actions = Vec::new();
        for t in d.notify.iter().flatten() {
            if let Some(key) = self.reference(Section::Topic, t) {
                actions.push(self.out(Section::Topic, &key, "arn"));
            }
        }
        actions.sort();
        actions.dedup();
        let th = d.threshold.as_ref();
        let count = th.and_then(|t| t.count.clone());
        if let Some(c) = &count {
            if !c.value.is_finite() {
                self.error(c.loc, "the threshold count is a finite number");
            }
        }
        let count = count.map(|c| c.value).unwrap_or(1.0);
        if d.metric.as_ref().and_then(|m| m.default_value).is_some_and(|v| !v.is_finite()) {
            self.error(loc, "`metric.default_value` is a finite number");
        }
        // Every number is checked before it is multiplied or narrowed: CloudWatch takes
        // 32-bit periods, and a week is the longest an alarm may look back.
        const WEEK: i64 = 7 * 24 * 3600;
        let period = th.and_then(|t| t.period.clone());
        if let Some(p) = &period {
            if !(p.value == 10 || p.value == 30 || (p.value >= 60 && p.value % 60 == 0)) || p.value > WEEK {
                self.error(
                    p.loc,
                    format!("period {} is invalid: use 10, 30 or a multiple of 60 seconds, at most a week", p.value),
                );
            }
        }
        let evals = th.and_then(|t| t.evaluation_periods.clone());
        if let Some(e) = &evals {
            if e.value < 1 {
                self.error(e.loc, "evaluation_periods is at least 1");
            } else {
                let p = period.as_ref().map(|p| p.value).unwrap_or(300);
                let limit = if p < 60 { 24 * 3600 } else { WEEK };
                if e.value.checked_mul(p).is_none_or(|total| total > limit) {
                    self.error(
                        e.loc,
                        format!(
                            "evaluation_periods times period may not exceed {}",
                            if p < 60 { "one day for periods under a minute" } else { "one week" }
                        ),
                    );
                }
            }
        }
        let statistic = th.and_then(|t| t.statistic.clone());
        if let Some(s) = &statistic {
            if !["Sum", "Average", "Maximum", "Minimum", "SampleCount"].contains(&s.as_str()) {
                self.error(
                    s.loc,
                    format!(
                        "statistic `{}` is invalid: use `Sum`, `Average`, `Maximum`, `Minimum` or `SampleCount`",
                        s.value
                    ),
                );
            }
        }
        let comparison = th.and_then(|t| t.comparison.clone());
        let operator = match comparison.as_ref().map(|c| c.value.as_str()).unwrap_or(">=") {
            ">=" => "GreaterThanOrEqualToThreshold",
            ">" => "GreaterThanThreshold",
            "<" => "LessThanThreshold",
            "<=" => "LessThanOrEqualToThreshold",
            other => {
                let loc = comparison.as_ref().map(|c| c.loc).unwrap_or(loc);
                self.error(loc, format!("comparison `{other}` is invalid: use `>=`, `>`, `<` or `<=`"));
                "GreaterThanOrEqualToThreshold"
            }
        };
        let Some(log_group) = log_group else { return };
        // A metric filter and its alarm are made in the account of the log group they watch.
        self.place_with(&Address::new(Kind::LogGroup, log_group.as_str()));
        let watches_trail = self.trail_log_group.as_ref() == Some(&log_group);
        let n = self.filters.entry(log_group.clone()).or_default();
        *n += 1;
        if *n == FILTERS_PER_LOG_GROUP + 1 {
            self.error_help(
                loc,
                format!(
                    "detection `{}` is metric filter number {} on log group `{log_group}`: CloudWatch Logs allows {FILTERS_PER_LOG_GROUP} per log group",
                    name.value,
                    FILTERS_PER_LOG_GROUP + 1
                ),
                "drop detections (a `pack:` can be turned off with `enabled: false`), or watch another log group",
            );
        }
        if regexes > 0 {
            let n = self.regex_filters.entry(log_group.clone()).or_default();
            *n += 1;
            let n = *n;
            if n > REGEX_FILTERS_PER_LOG_GROUP {
                self.error_help(
                    pattern.loc,
                    format!(
                        "detection number {n} with a regex on log group `{log_group}`: CloudWatch Logs allows {REGEX_FILTERS_PER_LOG_GROUP} per log group"
                    ),
                    "write the pattern without `%...%`, or watch another log group",
                );
            }
        }
        let metric = d.metric.as_ref();
        let namespace =
            metric.and_then(|m| m.namespace.clone()).unwrap_or_else(|| format!("socform/{}", self.blueprint));
        let metric_name = metric.and_then(|m| m.name.clone()).unwrap_or_else(|| name.value.clone());
        let filter = Address::new(Kind::MetricFilter, name.value.as_str());
        let attrs = to_attrs(&spec::MetricFilter {
            log_group_name: self.out(Section::LogGroup, &log_group, "name"),
            filter_name: self.default_name(name),
            filter_pattern: pattern.value.clone(),
            metric_namespace: namespace.clone(),
            metric_name: metric_name.clone(),
            metric_value: metric.and_then(|m| m.value.clone()).unwrap_or_else(|| "1".into()),
            default_value: Some(metric.and_then(|m| m.default_value).unwrap_or(0.0)),
        });
        self.add(filter.clone(), attrs, loc);
        let alarm_name = self.default_name(name);
        self.check(name.loc, names::alarm(&alarm_name));
        self.claim_name(Kind::Alarm, &alarm_name, name.loc);
        let description =
            d.description.clone().or_else(|| Some(format!("socform detection {} ({severity})", name.value)));
        let tags = self.tags(&BTreeMap::new(), loc);
        let attrs = to_attrs(&spec::Alarm {
            alarm_name,
            alarm_description: description,
            namespace,
            metric_name,
            statistic: statistic.map(|s| s.value).unwrap_or_else(|| "Sum".into()),
            period: period.map(|p| p.value as i32).unwrap_or(300),
            evaluation_periods: evals.map(|e| e.value as i32).unwrap_or(1),
            datapoints_to_alarm: None,
            threshold: count,
            comparison_operator: operator.into(),
            treat_missing_data: "notBreaching".into(),
            alarm_actions: actions,
            ok_actions: vec![],
            tags,
        });
        let alarm = Address::new(Kind::Alarm, name.value.as_str());
        // The alarm watches the metric the filter publishes.
        self.add_with(alarm.clone(), attrs, loc, std::slice::from_ref(&filter));
        let samples = d.samples.unwrap_or_default();
        self.detections.push(Detection {
            name: name.value.clone(),
            description: d.description,
            catalog: catalog.map(str::to_string),
            pattern: pattern.value,
            severity,
            attack,
            samples_match: samples.matches.into_iter().map(|s| s.value).collect(),
            samples_no_match: samples.no_match.into_iter().map(|s| s.value).collect(),
            metric_filter: filter,
            alarm,
            watches_trail,
        });
    }

    /// The location of a 1-based character column inside a scalar (past its opening quote).
    pub(super) fn column_in(&self, s: &Sp<String>, column: usize) -> Loc {
        let text = self.src.text();
        let mut loc = s.loc;
        let quoted = text.get(loc.offset..).is_some_and(|t| t.starts_with('\'') || t.starts_with('"'));
        let plain = text.get(loc.offset..).is_some_and(|t| t.starts_with(s.value.as_str()));
        if quoted || plain {
            let skip = usize::from(quoted);
            let byte: usize = s.value.chars().take(column.saturating_sub(1)).map(char::len_utf8).sum();
            loc.offset += skip + byte;
            loc.column += (skip + column.saturating_sub(1)) as u32;
            loc.len = 1;
        }
        loc
    }

    // ---- parameters and secrets --------------------------------------------------------
}

/// Fills what a detection leaves out from its catalog entry.
pub(super) fn merge_catalog(d: &mut raw::Detection, e: &crate::detect::catalog::Entry, at: Loc) {
    let sp = |v: &str| Sp::new(v.to_string(), at);
    d.name.get_or_insert_with(|| sp(e.name));
    d.pattern.get_or_insert_with(|| sp(e.pattern));
    d.severity.get_or_insert_with(|| sp(e.severity));
    d.description.get_or_insert_with(|| format!("{} ({}). Next: {}", e.title, e.id, e.next));
    d.attack.get_or_insert_with(|| e.attack.iter().map(|a| sp(a)).collect());
    let t = d.threshold.get_or_insert_with(raw::Threshold::default);
    t.count.get_or_insert(Sp::new(e.count, at));
    t.period.get_or_insert(Sp::new(e.period, at));
    d.samples.get_or_insert_with(|| raw::Samples {
        matches: e.samples_match.iter().map(|s| sp(s)).collect(),
        no_match: e.samples_no_match.iter().map(|s| sp(s)).collect(),
    });
}
