//! `account:`: settings of the account itself, in the blueprint's region.

use super::*;

impl Lower<'_> {
    /// `lookups:`: what exists and is only read. Each is a resource of its kind that the
    /// planner only ever uses (`Model::lookups`), so that what names it (a detection's metric
    /// filter, by `${log_group.KEY.name}`) reads the live value.
    pub(super) fn lookups(&mut self, n: &Node) {
        let Some(l) = self.read::<raw::Lookups>(n) else { return };
        for (key, lg) in &l.log_groups {
            let by = self.one_of(
                lg.loc,
                [("name", &lg.name), ("trail", &lg.trail)],
                format!("lookup `{key}`"),
                "`name` is the log group's; `trail` finds the log group an existing trail delivers to",
            );
            if let Some(by) = by {
                self.lookup(Address::new(Kind::LogGroup, key.as_str()), by, lg.loc);
            }
        }
        if let Some(v) = &l.vpc {
            let by = self.one_of(
                v.loc,
                [("id", &v.id), ("name", &v.name)],
                "the VPC lookup".into(),
                "`id` is the VPC's id (vpc-...); `name` its `Name` tag",
            );
            if let Some(by) = by {
                self.lookup(Address::new(Kind::Vpc, "main"), by, v.loc);
            }
        }
        for (key, s) in &l.subnets {
            self.lookup(Address::new(Kind::Subnet, key.as_str()), json!({ "id": s.id.value }), s.loc);
        }
        for (key, t) in &l.topics {
            self.check(t.name.loc, names::topic(&t.name));
            self.lookup(Address::new(Kind::SnsTopic, key.as_str()), json!({ "name": t.name.value }), t.loc);
        }
    }

    /// The one of two ways to find a lookup that is given, as its `lookup` attribute; an error
    /// when neither or both are.
    fn one_of(&mut self, loc: Loc, ways: [(&str, &Option<Sp<String>>); 2], what: String, help: &str) -> Option<Value> {
        match ways {
            [(k, Some(v)), (_, None)] | [(_, None), (k, Some(v))] => Some(json!({ k: v.value })),
            [(a, _), (b, _)] => {
                self.error_help(loc, format!("{what} must give exactly one of `{a}` and `{b}`"), help);
                None
            }
        }
    }

    /// Adds a lookup: a resource holding only how to find it (`by`).
    fn lookup(&mut self, address: Address, by: Value, loc: Loc) {
        let mut attrs = Attrs::new();
        attrs.insert("lookup".into(), by);
        if let Some(a) = self.add(address, attrs, loc) {
            self.lookups.insert(a);
        }
    }

    pub(super) fn account(&mut self, n: &Node) {
        let Some(a) = self.read::<raw::AccountSettings>(n) else { return };
        if let Some(p) = &a.password_policy {
            self.password_policy(p);
        }
        if a.support_role {
            self.support_role(n.loc);
        }
        if a.ebs_encryption_by_default {
            let setting = Address::new(Kind::EbsEncryption, "default");
            self.add(setting.clone(), to_attrs(&spec::EbsEncryption { enabled: true }), n.loc);
            // A setting that is on already is on: used, and left on by destroy.
            self.uses_existing.insert(setting.clone());
            // Hosts come after it, so that their volumes are encrypted.
            for (address, (r, _)) in self.resources.iter_mut() {
                if address.kind() == Kind::Instance {
                    r.depends_on.insert(setting.clone());
                }
            }
        }
    }

    /// `account.password_policy`: CIS AWS Foundations' values unless the blueprint says
    /// otherwise, each checked against IAM's limits.
    fn password_policy(&mut self, p: &Sp<raw::PasswordPolicy>) {
        let mut ranged = |v: &Option<Sp<i64>>, default: i64, lo: i64, hi: i64, what: &str| -> i32 {
            match v {
                None => default as i32,
                Some(x) if x.value == 0 && lo == 1 => 0,
                Some(x) if (lo..=hi).contains(&x.value) => x.value as i32,
                Some(x) => {
                    let zero = if lo == 1 { " (or 0: none)" } else { "" };
                    self.error(x.loc, format!("`{what}` is {}: IAM takes {lo} to {hi}{zero}", x.value));
                    default as i32
                }
            }
        };
        let minimum_length = ranged(&p.minimum_length, 14, 6, 128, "minimum_length");
        let reuse_prevention = ranged(&p.reuse_prevention, 24, 1, 24, "reuse_prevention");
        let max_age_days = ranged(&p.max_age_days, 0, 1, 1095, "max_age_days");
        const CLASSES: [&str; 4] = ["symbols", "numbers", "uppercase", "lowercase"];
        let require: Vec<String> = match &p.require {
            None => CLASSES.iter().map(|c| c.to_string()).collect(),
            Some(list) => {
                for c in list.iter().filter(|c| !CLASSES.contains(&c.value.as_str())) {
                    self.error_help(
                        c.loc,
                        format!("`{}` is not a character class IAM can require", c.value),
                        "say `symbols`, `numbers`, `uppercase` or `lowercase`",
                    );
                }
                list.iter().map(|c| c.value.clone()).collect()
            }
        };
        let has = |c: &str| require.iter().any(|r| r == c);
        let policy = spec::PasswordPolicy {
            minimum_length,
            require_symbols: has("symbols"),
            require_numbers: has("numbers"),
            require_uppercase: has("uppercase"),
            require_lowercase: has("lowercase"),
            allow_users_to_change: p.allow_users_to_change,
            max_age_days,
            reuse_prevention,
            hard_expiry: p.hard_expiry,
        };
        let address = Address::new(Kind::IamPasswordPolicy, "account");
        if self.add(address.clone(), to_attrs(&policy), p.loc).is_none() {
            return;
        }
        match p.if_exists {
            raw::IfPolicyExists::Use => {
                self.uses_existing.insert(address);
            }
            raw::IfPolicyExists::Replace => {
                self.replaces_existing.insert(address);
            }
            raw::IfPolicyExists::Fail => {}
        }
    }

    /// `account.support_role`: a role with `AWSSupportAccess` the account's principals may
    /// assume (CIS AWS Foundations 1.17).
    fn support_role(&mut self, loc: Loc) {
        let trust = super::iam::policy_doc(vec![json!({
            "Effect": "Allow",
            "Principal": {"AWS": "arn:${aws.partition}:iam::${aws.account_id}:root"},
            "Action": "sts:AssumeRole",
        })]);
        self.role_of(
            "support",
            "AWS Support access for the account's incident responders (CIS 1.17)".into(),
            trust,
            vec!["arn:aws:iam::aws:policy/AWSSupportAccess".into()],
            None,
            loc,
        );
    }
}
