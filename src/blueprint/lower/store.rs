//! Lowering `parameters:` and `secrets:` (values from the environment or inputs, fingerprinted).

use super::*;

impl Lower<'_> {
    pub(super) fn value_source(&mut self, address: &Address, src: &Sp<raw::ValueSource>) -> Option<SecretValue> {
        if let Some(name) = &src.from_input {
            if src.from_env.is_some() || src.generate.is_some() {
                self.error(src.loc, "a secret value has exactly one of `from_env`, `from_input` and `generate`");
                return None;
            }
            let Some(input) = self.inputs.get(name.as_str()) else {
                let help = match did_you_mean(name, self.inputs.keys().map(String::as_str)) {
                    Some(best) => format!("did you mean `{best}`?"),
                    None => "declare it under `inputs:`, with `sensitive: true`".into(),
                };
                self.error_help(name.loc, format!("no input named `{}`", name.value), help);
                return None;
            };
            let (variable, value) = (format!("{}{}", spec::INPUT_VARIABLE_PREFIX, name.value), input.text());
            let sha256 = match self.opts.fingerprint {
                Some(f) => f(address, &value),
                None => "not read by validate".to_string(),
            };
            self.secret_inputs.insert(variable.clone(), value);
            return Some(SecretValue::FromEnv { variable, sha256 });
        }
        match (&src.from_env, &src.generate) {
            (Some(var), None) if ci_credential(var) => {
                self.error_help(
                    var.loc,
                    format!("`{}` is where CI runners and AWS tools keep their own credentials", var.value),
                    "a blueprint in a pull request could copy them into AWS: read the value from a variable of its own name",
                );
                None
            }
            (Some(var), None) => {
                let sha256 = match self.opts.env {
                    None => "not read by validate".to_string(),
                    Some(env) => match env(address, var) {
                        Some(fingerprint) => fingerprint,
                        None => {
                            self.error_help(
                                var.loc,
                                format!("environment variable `{}` is not set", var.value),
                                format!("`{address}` reads its value from it; export it before running socform"),
                            );
                            return None;
                        }
                    },
                };
                Some(SecretValue::FromEnv { variable: var.value.clone(), sha256 })
            }
            (None, Some(g)) => {
                if !(8..=4096).contains(&g.length.value) {
                    self.error(g.length.loc, "a generated value is 8 to 4096 characters long");
                }
                Some(SecretValue::Generated { length: g.length.value, exclude_punctuation: g.exclude_punctuation })
            }
            _ => {
                self.error_help(
                    src.loc,
                    "a secret value has exactly one of `from_env`, `from_input` and `generate`",
                    "values are never written in a blueprint in clear",
                );
                None
            }
        }
    }

    pub(super) fn parameter(&mut self, key: &Sp<String>, p: raw::Parameter, loc: Loc) {
        self.check(p.name.loc, names::parameter(&p.name));
        self.claim_name(Kind::SsmParameter, &p.name, p.name.loc);
        let address = Address::new(Kind::SsmParameter, key.value.as_str());
        if !["String", "StringList", "SecureString"].contains(&p.type_.as_str()) {
            self.error(
                p.type_.loc,
                format!("type `{}` is invalid: use `String`, `StringList` or `SecureString`", p.type_.value),
            );
            return;
        }
        let value = match (&p.value, &p.secret, p.type_.as_str()) {
            (Some(v), None, "SecureString") => {
                self.error_help(
                    v.loc,
                    "a SecureString's value is never written in the blueprint",
                    "use `secret: { from_env: VAR }` or `secret: { generate: {} }`",
                );
                return;
            }
            (Some(v), None, _) => match self.user_templates(v) {
                Some(value) => SecretValue::Literal { value },
                None => return,
            },
            (None, Some(s), "SecureString") => match self.value_source(&address, s) {
                Some(v) => v,
                None => return,
            },
            (None, Some(s), _) => {
                self.error(s.loc, "`secret` is for `type: SecureString`; a plain parameter has a `value`");
                return;
            }
            _ => {
                self.error(loc, "a parameter has exactly one of `value` and `secret`");
                return;
            }
        };
        let tags = self.tags(&p.tags, loc);
        let attrs = to_attrs(&spec::SsmParameter {
            name: p.name.value.clone(),
            parameter_type: p.type_.value.clone(),
            description: p.description.clone(),
            value,
            tags,
        });
        self.add(address, attrs, loc);
    }

    pub(super) fn secret(&mut self, key: &Sp<String>, s: raw::SecretDef, loc: Loc) {
        let name = s.name.clone().unwrap_or_else(|| Sp::new(self.default_name(key), key.loc));
        self.check(name.loc, names::secret(&name));
        self.claim_name(Kind::Secret, &name, name.loc);
        let w = s.recovery_window_days.value;
        if w != 0 && !(7..=30).contains(&w) {
            self.error(s.recovery_window_days.loc, "recovery_window_days is 0 (delete at once) or 7 to 30");
        }
        let address = Address::new(Kind::Secret, key.value.as_str());
        let Some(value) = self.value_source(&address, &s.value) else { return };
        let tags = self.tags(&s.tags, loc);
        let attrs = to_attrs(&spec::Secret {
            name: name.value.clone(),
            description: s.description.clone(),
            kms_key_id: s.kms_key.clone(),
            value,
            recovery_window_days: w,
            tags,
        });
        self.add(address, attrs, loc);
    }

    // ---- AWS Config --------------------------------------------------------------------
}

/// Environment variables a CI runner or the AWS tools keep credentials in: `AWS_*`,
/// `GITHUB_*`, `ACTIONS_*` (the runner's tokens), `RUNNER_*`, in any case.
fn ci_credential(var: &str) -> bool {
    let upper = var.to_ascii_uppercase();
    ["AWS_", "GITHUB_", "ACTIONS_", "RUNNER_"].iter().any(|p| upper.starts_with(p))
}
