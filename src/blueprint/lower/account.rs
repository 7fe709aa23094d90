//! `account:`: settings of the account itself, in the blueprint's region.

use super::*;

impl Lower<'_> {
    /// `lookups:`: what exists and is only read. Each is a resource of its kind that the
    /// planner only ever uses (`Model::lookups`), so that what names it (a detection's metric
    /// filter, by `${log_group.KEY.name}`) reads the live value.
    pub(super) fn lookups(&mut self, n: &Node) {
        let Some(l) = self.read::<raw::Lookups>(n) else { return };
        for (key, lg) in &l.log_groups {
            let by = match (&lg.name, &lg.trail) {
                (Some(name), None) => json!({ "name": name.value }),
                (None, Some(trail)) => json!({ "trail": trail.value }),
                _ => {
                    self.error_help(
                        lg.loc,
                        format!("lookup `{key}` must give exactly one of `name` and `trail`"),
                        "`name` is the log group's; `trail` finds the log group an existing trail delivers to",
                    );
                    continue;
                }
            };
            let address = Address::new(Kind::LogGroup, key.as_str());
            let mut attrs = Attrs::new();
            attrs.insert("lookup".into(), by);
            if let Some(a) = self.add(address, attrs, lg.loc) {
                self.lookups.insert(a);
            }
        }
        if let Some(v) = &l.vpc {
            let by = match (&v.id, &v.name) {
                (Some(id), None) => json!({ "id": id.value }),
                (None, Some(name)) => json!({ "name": name.value }),
                _ => {
                    self.error_help(
                        v.loc,
                        "the VPC lookup must give exactly one of `id` and `name`",
                        "`id` is the VPC's id (vpc-...); `name` its `Name` tag",
                    );
                    json!(null)
                }
            };
            if !by.is_null() {
                let mut attrs = Attrs::new();
                attrs.insert("lookup".into(), by);
                if let Some(a) = self.add(Address::new(Kind::Vpc, "main"), attrs, v.loc) {
                    self.lookups.insert(a);
                }
            }
        }
        for (key, s) in &l.subnets {
            let mut attrs = Attrs::new();
            attrs.insert("lookup".into(), json!({ "id": s.id.value }));
            if let Some(a) = self.add(Address::new(Kind::Subnet, key.as_str()), attrs, s.loc) {
                self.lookups.insert(a);
            }
        }
        for (key, t) in &l.topics {
            self.check(t.name.loc, names::topic(&t.name));
            let mut attrs = Attrs::new();
            attrs.insert("lookup".into(), json!({ "name": t.name.value }));
            if let Some(a) = self.add(Address::new(Kind::SnsTopic, key.as_str()), attrs, t.loc) {
                self.lookups.insert(a);
            }
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
