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
}
