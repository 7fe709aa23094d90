//! `account:`: settings of the account itself, in the blueprint's region.

use super::*;

impl Lower<'_> {
    pub(super) fn account(&mut self, n: &Node) {
        let Some(a) = self.read::<raw::AccountSettings>(n) else { return };
        if a.ebs_encryption_by_default {
            let setting = Address::new(Kind::EbsEncryption, "default");
            self.add(setting.clone(), to_attrs(&spec::EbsEncryption { enabled: true }), n.loc);
            // Hosts come after it, so that their volumes are encrypted.
            for (address, (r, _)) in self.resources.iter_mut() {
                if address.kind() == Kind::Instance {
                    r.depends_on.insert(setting.clone());
                }
            }
        }
    }
}
