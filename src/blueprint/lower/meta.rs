//! Lowering The blueprint's own sections: `lab`, `outputs`, `moved`, `lint`, the header, and the first
//! pass that collects every section's keys.

use super::*;

impl Lower<'_> {
    pub(super) fn lab(&mut self, n: &Node) {
        let Some(l) = self.read::<raw::LabSettings>(n) else { return };
        let mut lab = crate::model::Lab::default();
        if let Some(e) = &l.expires_after {
            match crate::model::parse_duration(e) {
                Ok(secs) if (60..=90 * 86_400).contains(&secs) => lab.expires_after_secs = Some(secs),
                Ok(_) => self.error(e.loc, "`expires_after` is 1 minute to 90 days"),
                Err(m) => self.error(e.loc, m),
            }
        }
        if let Some(o) = &l.owner {
            if self.check(o.loc, names::tag_value(o)) {
                lab.owner = Some(o.value.clone());
            }
        }
        self.lab = Some(lab);
    }

    /// Declared outputs, and the useful ones every blueprint gets unless it names its own
    /// so: how to open a shell on each host, each topic's ARN, the alarms console.
    pub(super) fn outputs(&mut self, n: Option<&Node>) {
        let mut declared = BTreeSet::new();
        for (key, node) in n.map(|n| self.map_entries(n, "outputs")).unwrap_or_default() {
            let Some(o) = self.read::<raw::Output>(node) else { continue };
            if !key.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                self.error(key.loc, format!("`{}` is not a valid output name: letters, digits and `_`", key.value));
                continue;
            }
            if let Some(value) = self.user_templates(&o.value) {
                declared.insert(key.value.clone());
                self.outputs.push(crate::model::Output { name: key.value, value, description: o.description });
            }
        }
        let region = self.region.clone();
        let mut defaults = Vec::new();
        for (a, _) in self.resources.values() {
            let (kind, name) = (a.address.kind(), a.address.name());
            // Output names are identifiers: `wazuh-manager` gives `connect_wazuh_manager`.
            let id = name.replace(['-', '.', '/'], "_");
            match kind {
                Kind::Instance => defaults.push(crate::model::Output {
                    name: format!("connect_{id}"),
                    value: format!("aws ssm start-session --target {} --region {region}", output_ref(&a.address, "id")),
                    description: Some(format!(
                        "a shell on host `{name}` through SSM Session Manager (no SSH, no open port)"
                    )),
                }),
                Kind::SnsTopic => defaults.push(crate::model::Output {
                    name: format!("topic_{id}"),
                    value: output_ref(&a.address, "arn"),
                    description: Some(format!("the ARN of notification topic `{name}`")),
                }),
                _ => {}
            }
        }
        if self.resources.values().any(|(r, _)| r.kind() == Kind::Alarm) {
            defaults.push(crate::model::Output {
                name: "alarms_url".into(),
                value: format!("https://{region}.console.aws.amazon.com/cloudwatch/home?region={region}#alarmsV2:"),
                description: Some("the CloudWatch alarms of this account and region".into()),
            });
        }
        for d in defaults {
            if !declared.contains(&d.name) && d.name.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'_') {
                self.outputs.push(d);
            }
        }
        self.outputs.sort_by(|a, b| a.name.cmp(&b.name));
    }

    /// `moved:` entries: the old address must be gone from the blueprint and the new one in it.
    pub(super) fn moved(&mut self, n: &Node) {
        let Some(list) = self.read::<Vec<raw::Moved>>(n) else { return };
        let mut seen = BTreeSet::new();
        for m in list {
            let (from, to) = match (Address::parse(&m.from), Address::parse(&m.to)) {
                (Ok(f), Ok(t)) => (f, t),
                (Err(e), _) => {
                    self.error_help(
                        m.from.loc,
                        e.to_string(),
                        "write an address as `socform state list` shows it, such as `instance.siem`",
                    );
                    continue;
                }
                (_, Err(e)) => {
                    self.error_help(
                        m.to.loc,
                        e.to_string(),
                        "write an address as `socform graph` shows it, such as `instance.wazuh`",
                    );
                    continue;
                }
            };
            if from.kind() != to.kind() {
                self.error(
                    m.to.loc,
                    format!(
                        "`{from}` is a {} and `{to}` a {}: a resource keeps its kind",
                        from.kind().noun(),
                        to.kind().noun()
                    ),
                );
                continue;
            }
            if !self.resources.contains_key(&to) {
                self.error(m.to.loc, format!("`{to}` is not a resource of this blueprint (see `socform graph`)"));
                continue;
            }
            if self.resources.contains_key(&from) {
                self.error(
                    m.from.loc,
                    format!("`{from}` is still in the blueprint: a move's old address must be gone from it"),
                );
                continue;
            }
            if !seen.insert(from.clone()) {
                self.error(m.from.loc, format!("`{from}` is moved twice"));
                continue;
            }
            self.moved.push(crate::model::Moved { from, to });
        }
    }

    pub(super) fn lint(&mut self, n: &Node) {
        let Some(l) = self.read::<raw::Lint>(n) else { return };
        for sup in l.suppress {
            if crate::review::lint::rule(&sup.rule).is_none() {
                let ids: Vec<&str> = crate::review::lint::RULES.iter().map(|r| r.id).collect();
                self.error_help(
                    sup.rule.loc,
                    format!("`{}` is not a lint rule", sup.rule.value),
                    format!("rules: {}", ids.join(", ")),
                );
                continue;
            }
            if sup.reason.trim().len() < 3 {
                self.error(sup.reason.loc, "a suppression needs a written reason");
                continue;
            }
            let resource = match Address::parse(&sup.resource) {
                Ok(a) if self.resources.contains_key(&a) => a,
                Ok(a) => {
                    self.error(
                        sup.resource.loc,
                        format!("`{a}` is not a resource of this blueprint (see `socform graph`)"),
                    );
                    continue;
                }
                Err(e) => {
                    self.error(sup.resource.loc, e.to_string());
                    continue;
                }
            };
            self.suppressions.push(crate::model::Suppression {
                rule: sup.rule.value,
                resource,
                reason: sup.reason.value,
            });
        }
    }

    pub(super) fn header(&mut self, root: &Node) {
        match root.get("blueprint") {
            Some(n) => {
                if let Some(name) = self.read::<Sp<String>>(n) {
                    self.check(name.loc, names::blueprint_name(&name));
                    self.blueprint = name.value;
                }
            }
            None => self.error(root.loc, "missing key `blueprint`: every blueprint has a name"),
        }
        match root.get("region") {
            Some(n) => {
                if let Some(region) = self.read::<Sp<String>>(n) {
                    if !self.check(region.loc, names::region(&region)) {
                        if let Some(best) = did_you_mean(&region, names::REGIONS.iter().copied()) {
                            if let Some(d) = self.diags.last_mut() {
                                d.help = Some(format!("did you mean `{best}`?"));
                            }
                        }
                    }
                    self.region = region.value;
                }
            }
            None => self.error(root.loc, "missing key `region`, such as `region: us-east-1`"),
        }
        if let Some(n) = root.get("tags") {
            if let Some(tags) = self.read::<raw::Tags>(n) {
                for k in tags.keys() {
                    self.check(n.loc, names::tag_key(k));
                }
                self.tags = tags;
            }
        }
        if let Some(n) = root.get("description") {
            self.read::<String>(n);
        }
        if let Some(n) = root.get("allowed_accounts") {
            if let Some(list) = self.read::<Vec<Sp<String>>>(n) {
                if list.is_empty() {
                    self.error(n.loc, "`allowed_accounts` is empty: name at least one account id, or leave it out");
                }
                for a in list {
                    match names::account_id(&a.value) {
                        Ok(()) => self.allowed_accounts.push(a.value),
                        Err(m) => self.error_help(
                            a.loc,
                            m,
                            "an account id is 12 digits; quote it so YAML keeps its leading zeros: \"012345678901\"",
                        ),
                    }
                }
            }
        }
        if let Some(n) = root.get("accounts") {
            for (key, node) in self.map_entries(n, "accounts") {
                let Some(entry) = self.read::<raw::AccountEntry>(node) else { continue };
                self.account_entry(&key, entry);
            }
        }
    }

    /// One entry of `accounts:`.
    fn account_entry(&mut self, key: &Sp<String>, entry: raw::AccountEntry) {
        let mut def = crate::model::Account::default();
        if let Some(arn) = &entry.role_arn {
            // arn:PARTITION:iam::ACCOUNT:role/PATH/NAME
            let parts: Vec<&str> = arn.value.splitn(6, ':').collect();
            let ok = parts.len() == 6
                && parts[0] == "arn"
                && parts[2] == "iam"
                && parts[3].is_empty()
                && names::account_id(parts[4]).is_ok()
                && parts[5].starts_with("role/")
                && parts[5].len() > "role/".len();
            // Kept when wrong too: what is placed there is still placed (one error, not many).
            def.role_arn = Some(arn.value.clone());
            if !ok {
                self.error_help(
                    arn.loc,
                    format!("`{}` is not the ARN of an IAM role", arn.value),
                    "write `arn:aws:iam::ACCOUNT_ID:role/NAME`, such as `arn:aws:iam::111122223333:role/OrganizationAccountAccessRole`",
                );
            }
        }
        if let Some(name) = &entry.session_name {
            // STS: 2 to 64 of letters, digits and `=,.@-_`.
            let ok = (2..=64).contains(&name.value.len())
                && name.value.chars().all(|c| c.is_ascii_alphanumeric() || "=,.@-_".contains(c));
            if ok {
                def.session_name = Some(name.value.clone());
            } else {
                self.error(
                    name.loc,
                    format!("`{}` is not a role session name: 2 to 64 letters, digits and `=,.@-_`", name.value),
                );
            }
        }
        if entry.external_id.is_some() && entry.role_arn.is_none() {
            self.error(
                key.loc,
                format!("account `{}` has an `external_id` and no `role_arn` to give it to", key.value),
            );
        }
        def.external_id = entry.external_id;
        for a in &entry.allowed_accounts {
            match names::account_id(&a.value) {
                Ok(()) => def.allowed_accounts.push(a.value.clone()),
                Err(m) => self.error(a.loc, m),
            }
        }
        if let (Some(own), false) = (def.role_account(), def.allowed_accounts.is_empty()) {
            if !def.allowed_accounts.iter().any(|a| a == own) {
                let loc = entry.role_arn.as_ref().map(|r| r.loc).unwrap_or(key.loc);
                self.error(
                    loc,
                    format!("the role is in account {own}, which `allowed_accounts` of `{}` does not name", key.value),
                );
            }
        }
        self.accounts.insert(key.value.clone(), def);
    }

    /// Collects the keys of every section so that references resolve in any order.
    pub(super) fn first_pass(&mut self, root: &Node) {
        let mut sections: Vec<(Section, &Node)> = Vec::new();
        if let Some(net) = root.get("network") {
            if let Some(v) = net.get("vpc") {
                sections.push((Section::Vpc, v));
                self.declare(Section::Vpc, "main", v.loc);
            }
            if let Some(s) = net.get("subnets") {
                for (k, _) in s.entries() {
                    if let Some(key) = k.as_str() {
                        self.declare(Section::Subnet, key, k.loc);
                    }
                }
            }
            if let Some(fl) = net.get("flow_logs") {
                if let Some(lg) = fl.get("log_group").and_then(Node::as_str) {
                    self.declare(Section::LogGroup, lg, fl.loc);
                }
            }
        }
        for (name, section) in [
            ("security_groups", Section::SecurityGroup),
            ("buckets", Section::Bucket),
            ("log_groups", Section::LogGroup),
            ("notifications", Section::Topic),
            ("hosts", Section::Host),
            ("secrets", Section::Secret),
            ("parameters", Section::Parameter),
        ] {
            if let Some(n) = root.get(name) {
                for (k, _) in n.entries() {
                    if let Some(key) = k.as_str() {
                        self.declare(section, key, k.loc);
                    }
                }
            }
        }
        if let Some(roles) = root.get("iam").and_then(|i| i.get("roles")) {
            for (k, v) in roles.entries() {
                if let Some(key) = k.as_str() {
                    self.declare(Section::Role, key, k.loc);
                    let explicit =
                        v.get("instance_profile").map(|n| matches!(n.value, super::super::node::Value::Bool(true)));
                    let ec2 = v.get("assumed_by").is_some_and(|a| {
                        a.as_str() == Some("ec2.amazonaws.com")
                            || a.items().iter().any(|i| i.as_str() == Some("ec2.amazonaws.com"))
                    });
                    if explicit.unwrap_or(ec2) {
                        self.roles_with_profile.insert(key.to_string());
                    }
                }
            }
        }
        if let Some(trail) = root.get("trail") {
            self.declare(Section::Trail, "main", trail.loc);
            if let Some(b) = trail.get("bucket") {
                if matches!(b.value, super::super::node::Value::Map(_)) {
                    self.declare(Section::Bucket, "trail", b.loc);
                }
            }
            if let Some(lg) = trail.get("cloudwatch_logs").and_then(|c| c.get("log_group")).and_then(Node::as_str) {
                self.declare(Section::LogGroup, lg, trail.loc);
                self.trail_log_group = Some(lg.to_string());
            }
        }
        if let Some(v) = root.get("lookups").and_then(|l| l.get("vpc")) {
            if self.is_declared(Section::Vpc, "main") {
                self.error(v.loc, "the blueprint both makes a VPC (`network.vpc`) and looks one up: keep one");
            } else {
                self.declare(Section::Vpc, "main", v.loc);
            }
        }
        if let Some(subnets) = root.get("lookups").and_then(|l| l.get("subnets")) {
            for (k, _) in subnets.entries() {
                if let Some(key) = k.as_str() {
                    self.declare(Section::Subnet, key, k.loc);
                }
            }
        }
        if let Some(topics) = root.get("lookups").and_then(|l| l.get("topics")) {
            for (k, _) in topics.entries() {
                if let Some(key) = k.as_str() {
                    self.declare(Section::Topic, key, k.loc);
                }
            }
        }
        if let Some(lgs) = root.get("lookups").and_then(|l| l.get("log_groups")) {
            for (k, v) in lgs.entries() {
                if let Some(key) = k.as_str() {
                    self.declare(Section::LogGroup, key, k.loc);
                    // An existing trail's log group: the detections' default when the
                    // blueprint makes no trail of its own.
                    if v.get("trail").is_some() && self.trail_log_group.is_none() {
                        self.trail_log_group = Some(key.to_string());
                    }
                }
            }
        }
        let _ = sections;
    }

    // ---- network -----------------------------------------------------------------------
}
