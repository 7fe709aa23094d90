//! Lowering `hosts:` (instances, their images, instance profiles and confined user data).

use super::*;

impl Lower<'_> {
    pub(super) fn host(&mut self, key: &Sp<String>, h: raw::Host, loc: Loc) {
        let subnet = self.reference(Section::Subnet, &h.subnet);
        let mut groups = Vec::new();
        for g in &h.security_groups {
            if let Some(k) = self.reference(Section::SecurityGroup, g) {
                groups.push(self.out(Section::SecurityGroup, &k, "id"));
            }
        }
        groups.sort();
        groups.dedup();
        if groups.len() > MAX_GROUPS_PER_INTERFACE {
            let at = h.security_groups.first().map(|g| g.loc).unwrap_or(loc);
            self.error(
                at,
                format!(
                    "{} security groups: AWS attaches at most {MAX_GROUPS_PER_INTERFACE} to one network interface (5 by default)",
                    groups.len()
                ),
            );
        }
        let profile = match &h.role {
            Some(r) => match self.reference(Section::Role, r) {
                Some(k) if self.roles_with_profile.contains(&k) => {
                    Some(output_ref(&Address::new(Kind::InstanceProfile, k.as_str()), "name"))
                }
                Some(k) => {
                    self.error_help(
                        r.loc,
                        format!("role `{k}` has no instance profile, so a host cannot use it"),
                        format!("let EC2 assume it (`assumed_by: ec2.amazonaws.com`) or set `instance_profile: true` on `iam.roles.{k}`"),
                    );
                    None
                }
                None => None,
            },
            None => None,
        };
        static TYPE: std::sync::LazyLock<regex::Regex> =
            std::sync::LazyLock::new(|| regex::Regex::new(r"^[a-z][a-z0-9-]*\.[a-z0-9]+$").unwrap());
        if !TYPE.is_match(&h.instance_type) {
            self.error(
                h.instance_type.loc,
                format!("`{}` is not an instance type, such as `t3.medium`", h.instance_type.value),
            );
        }
        let image = self.image(&h.image);
        let public = subnet.as_ref().and_then(|s| self.subnets.get(s)).map(|s| s.public).unwrap_or(false);
        let associate_public_ip = h.public_ip.unwrap_or(public);
        if let (Some(ip), Some(s)) = (&h.private_ip, subnet.as_ref()) {
            match Ipv4Addr::from_str(ip) {
                Err(_) => self.error(ip.loc, format!("`{}` is not an IPv4 address", ip.value)),
                Ok(addr) => {
                    if let Some(net) = self.subnets.get(s).and_then(|s| s.net) {
                        let first = u32::from(net.network());
                        let a = u32::from(addr);
                        if !net.contains(&addr) {
                            self.error(ip.loc, format!("{addr} is not in subnet `{s}` ({net})"));
                        } else if a < first + 4 || addr == net.broadcast() {
                            self.error(ip.loc, format!("{addr} is reserved by AWS: the first four addresses and the last one of a subnet are"));
                        }
                    }
                }
            }
        }
        let user_data = h.user_data.as_ref().and_then(|u| self.user_data(u));
        let (size, encrypted) = match &h.root_volume {
            Some(v) => {
                if let Some(s) = &v.size_gb {
                    if !(1..=16384).contains(&s.value) {
                        self.error(s.loc, "a root volume is 1 to 16384 GiB");
                    }
                }
                (v.size_gb.as_ref().map(|s| s.value as i32), v.encrypted)
            }
            None => (None, true),
        };
        let (Some(subnet), Some(image)) = (subnet, image) else { return };
        let mut tags = self.tags(&h.tags, loc);
        tags.entry("Name".into()).or_insert_with(|| format!("{}-{}", self.blueprint, key.value));
        let attrs = to_attrs(&spec::Instance {
            image,
            instance_type: h.instance_type.value.clone(),
            subnet_id: self.out(Section::Subnet, &subnet, "id"),
            security_group_ids: groups,
            iam_instance_profile: profile,
            user_data,
            root_volume_size_gb: size,
            root_volume_encrypted: encrypted,
            associate_public_ip,
            private_ip: h.private_ip.as_ref().map(|p| p.value.clone()),
            require_imdsv2: h.imdsv2,
            tags,
        });
        self.add(Address::new(Kind::Instance, key.value.as_str()), attrs, loc);
    }

    pub(super) fn image(&mut self, image: &Sp<String>) -> Option<String> {
        let s = image.as_str();
        if let Some((_, path)) = IMAGES.iter().find(|(name, _)| *name == s) {
            return Some(format!("ssm:{path}"));
        }
        if s.starts_with("ssm:/") {
            return Some(s.to_string());
        }
        let hex = s.strip_prefix("ami-").unwrap_or("");
        if (8..=17).contains(&hex.len()) && hex.bytes().all(|b| b.is_ascii_hexdigit() && !b.is_ascii_uppercase()) {
            return Some(s.to_string());
        }
        let names: Vec<&str> = IMAGES.iter().map(|(n, _)| *n).collect();
        let help = match did_you_mean(s, names.iter().copied()) {
            Some(best) => format!("did you mean `{best}`?"),
            None => format!("use an AMI id (`ami-0abc...`), `ssm:/path`, or one of {}", names.join(", ")),
        };
        self.error_help(image.loc, format!("`{s}` is not an image"), help);
        None
    }

    /// Where a path a blueprint names really is, once checked: relative, no `..`, and still
    /// inside the blueprint's folder after symbolic links are followed. Returns the real
    /// path, the real folder of the blueprint, and the help text for errors about it.
    pub(super) fn confined_path(
        &self,
        file: &str,
    ) -> Result<(std::path::PathBuf, std::path::PathBuf, String), (String, String)> {
        let base = &self.opts.base_dir;
        let inside = format!("paths are relative to the blueprint's folder ({}) and stay inside it", base.display());
        let rel = std::path::Path::new(file);
        if rel.is_absolute()
            || rel.components().any(|c| !matches!(c, std::path::Component::Normal(_) | std::path::Component::CurDir))
        {
            return Err((
                format!("`{file}` is outside the blueprint's folder: absolute paths and `..` are refused"),
                inside,
            ));
        }
        if hidden(rel) {
            return Err((
                format!("`{file}` is a hidden file or lies in a hidden folder: socform reads none"),
                hidden_help(),
            ));
        }
        let root = base
            .canonicalize()
            .map_err(|e| (format!("cannot read the blueprint's folder `{}`: {e}", base.display()), inside.clone()))?;
        // One answer whether the file is missing or a link leads out of the folder: the
        // error must not tell a pull request's author what exists outside it.
        let unreadable = || (format!("`{file}` is missing or links out of the blueprint's folder"), inside.clone());
        let real = base.join(rel).canonicalize().map_err(|_| unreadable())?;
        if !real.starts_with(&root) {
            return Err(unreadable());
        }
        if real.strip_prefix(&root).is_ok_and(hidden) {
            return Err((format!("`{file}` leads to a hidden file or folder: socform reads none"), hidden_help()));
        }
        Ok((real, root, inside))
    }

    /// Reads a file a blueprint names: a relative path inside the blueprint's folder tree
    /// (symbolic links followed, then checked), a regular file, at most `limit` bytes. A
    /// blueprint under review must not be able to pull other files into a plan or a pull
    /// request comment (`../../secret.txt`, `/proc/self/environ`, a link to `~/.aws`), nor
    /// exhaust memory (`/dev/zero`).
    pub(super) fn confined_read(&self, file: &str, limit: u64) -> Result<Vec<u8>, (String, String)> {
        let (real, _, inside) = self.confined_path(file)?;
        single_name(&real, file)?;
        match super::super::read_capped(&real, limit) {
            Ok(bytes) => Ok(bytes),
            Err(super::super::ReadError::TooBig) => Err((
                format!("`{file}` is larger than {limit} bytes"),
                "EC2 accepts at most 16 KiB of user data".into(),
            )),
            Err(super::super::ReadError::NotAFile) => Err((format!("`{file}` is not a regular file"), inside)),
            Err(super::super::ReadError::Io(e)) => Err((format!("cannot read `{file}`: {e}"), inside)),
        }
    }

    /// Reads the script and exports its variables right after the `#!` line.
    pub(super) fn user_data(&mut self, u: &Sp<raw::UserData>) -> Option<String> {
        let (file, vars) = match &u.value {
            raw::UserData::File(f) => (f, None),
            raw::UserData::WithVars { file, vars } => (file, Some(vars)),
        };
        let script = match self.confined_read(file, USER_DATA_LIMIT as u64) {
            Ok(bytes) => match String::from_utf8(bytes) {
                Ok(s) => s,
                Err(_) => {
                    self.error(u.loc, format!("user data `{file}` is not UTF-8 text"));
                    return None;
                }
            },
            Err((message, help)) => {
                self.error_help(u.loc, message, help);
                return None;
            }
        };
        // EC2 runs a script that opens with `<powershell>` in PowerShell (Windows hosts).
        let powershell = script.trim_start().starts_with("<powershell>");
        let mut exports = String::new();
        for (k, v) in vars.into_iter().flatten() {
            let ok_name = k.chars().next().is_some_and(|c| c.is_ascii_uppercase() || c == '_')
                && k.chars().all(|c| c.is_ascii_uppercase() || c.is_ascii_digit() || c == '_');
            if !ok_name {
                self.error(u.loc, format!("variable `{k}` is invalid: use upper case letters, digits and `_`"));
                continue;
            }
            let v = self.user_templates(&Sp::new(v.clone(), u.loc))?;
            exports.push_str(&spec::user_data_var(powershell, k, &v));
        }
        let composed = if exports.is_empty() {
            script
        } else {
            let header = spec::USER_DATA_VARS;
            match script.split_once('\n') {
                Some((first, rest)) if first.starts_with("#!") || first.trim() == "<powershell>" => {
                    format!("{first}\n{header}{exports}{rest}")
                }
                _ => format!("{header}{exports}{script}"),
            }
        };
        if composed.len() > USER_DATA_LIMIT {
            self.error(u.loc, format!("user data is {} bytes: EC2 accepts at most {USER_DATA_LIMIT}", composed.len()));
            return None;
        }
        Some(composed)
    }
}

/// Whether a relative path names a dot-file or passes through a dot-folder (`.git/config`,
/// `.aws/credentials`, `.env`): where checkouts and tools keep credentials.
pub(super) fn hidden(rel: &std::path::Path) -> bool {
    rel.components().any(|c| matches!(c, std::path::Component::Normal(n) if n.to_string_lossy().starts_with('.')))
}

fn hidden_help() -> String {
    "dot-files hold credentials (`.git/config` holds a CI checkout's token, `.env`, `.aws`): move the file out of hidden folders".into()
}

/// Refuses a file with more than one name: a hard link inside the blueprint's folder can
/// carry the content of any file on the same disk, wherever the other name is.
pub(super) fn single_name(real: &std::path::Path, shown: &str) -> Result<(), (String, String)> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if std::fs::symlink_metadata(real).is_ok_and(|m| m.is_file() && m.nlink() > 1) {
            return Err((
                format!("`{shown}` has other names (hard links): socform cannot tell whose content it is"),
                "copy the file instead of linking it".into(),
            ));
        }
    }
    let _ = (real, shown);
    Ok(())
}
