//! Lowering `config:` (the recorder, its delivery channel and role, managed rules).

use super::*;

impl Lower<'_> {
    pub(super) fn config(&mut self, n: &Node) {
        if !self.known_keys(n, CONFIG_KEYS, "`config`") {
            return;
        }
        let mut recorder_name = None;
        if let Some(rn) = n.get("recorder") {
            if let Some(r) = self.read::<Sp<raw::Recorder>>(rn) {
                recorder_name = self.recorder(r);
            }
        }
        if let Some(an) = n.get("aggregator") {
            if let Some(a) = self.read::<Sp<raw::Aggregator>>(an) {
                self.aggregator(a);
            }
        }
        if let Some(rules) = n.get("rules") {
            for (key, node) in self.map_entries(rules, "config rules") {
                let Some(rule) = self.read::<raw::ConfigRule>(node) else { continue };
                let name = rule.name.clone().unwrap_or_else(|| Sp::new(self.default_name(&key), key.loc));
                self.check(name.loc, names::config_rule(&name));
                self.claim_name(Kind::ConfigRule, &name, name.loc);
                if !rule.identifier.bytes().all(|b| b.is_ascii_uppercase() || b.is_ascii_digit() || b == b'_')
                    || rule.identifier.is_empty()
                {
                    self.error_help(
                        rule.identifier.loc,
                        format!("`{}` is not an AWS managed rule identifier", rule.identifier.value),
                        "identifiers are upper case, such as `S3_BUCKET_PUBLIC_READ_PROHIBITED` or `INCOMING_SSH_DISABLED`",
                    );
                }
                let mut resource_types = rule.resource_types.clone();
                resource_types.sort();
                let tags = self.tags(&rule.tags, node.loc);
                let attrs = to_attrs(&spec::ConfigRule {
                    name: name.value.clone(),
                    description: rule.description.clone(),
                    source_identifier: rule.identifier.value.clone(),
                    input_parameters: rule.parameters.clone(),
                    resource_types,
                    recorder: recorder_name.clone(),
                    tags,
                });
                self.add(Address::new(Kind::ConfigRule, key.value.as_str()), attrs, node.loc);
            }
        }
    }

    /// The organization's aggregator, and the role it reads the organization with.
    fn aggregator(&mut self, a: Sp<raw::Aggregator>) {
        let loc = a.loc;
        let name = a.name.clone().unwrap_or_else(|| Sp::new(self.default_name("organization"), loc));
        // Config: 1 to 256 of letters, digits, `.`, `_` and `-`.
        let ok = (1..=256).contains(&name.value.len())
            && name.value.chars().all(|c| c.is_ascii_alphanumeric() || ".-_".contains(c));
        if !ok {
            self.error(
                name.loc,
                format!("`{}` is not an aggregator name: 1 to 256 letters, digits, `.`, `_` and `-`", name.value),
            );
        }
        self.claim_name(Kind::ConfigAggregator, &name, name.loc);
        let role = self.fixed_role(
            "config-aggregator",
            "config.amazonaws.com",
            vec!["arn:aws:iam::aws:policy/service-role/AWSConfigRoleForOrganizations".into()],
            None,
            loc,
        );
        let Some(role) = role else { return };
        let tags = self.tags(&a.tags, loc);
        let attrs = to_attrs(&spec::ConfigAggregator {
            name: name.value.clone(),
            role_arn: output_ref(&role, "arn"),
            all_regions: a.all_regions,
            tags,
        });
        self.add(Address::new(Kind::ConfigAggregator, "organization"), attrs, loc);
    }

    pub(super) fn recorder(&mut self, r: Sp<raw::Recorder>) -> Option<String> {
        let loc = r.loc;
        let bucket_key = match &r.bucket {
            Some(b) => self.reference(Section::Bucket, b)?,
            None => {
                let trail_bucket = self.resources.get(&Address::new(Kind::Trail, "main")).and_then(|(t, _)| {
                    t.depends_on.iter().find(|a| a.kind() == Kind::S3BucketPolicy).map(|a| a.name().to_string())
                });
                match trail_bucket {
                    Some(k) => k,
                    None => {
                        self.error(
                            loc,
                            "the recorder needs a bucket: set `bucket`, or declare a `trail` whose bucket it shares",
                        );
                        return None;
                    }
                }
            }
        };
        let freqs = ["One_Hour", "Three_Hours", "Six_Hours", "Twelve_Hours", "TwentyFour_Hours"];
        if !freqs.contains(&r.delivery_frequency.as_str()) {
            self.error(
                r.delivery_frequency.loc,
                format!(
                    "delivery_frequency `{}` is invalid: use one of {}",
                    r.delivery_frequency.value,
                    freqs.join(", ")
                ),
            );
        }
        let topic = match &r.notify {
            Some(t) => {
                let key = self.reference(Section::Topic, t)?;
                Some(self.out(Section::Topic, &key, "arn"))
            }
            None => None,
        };
        let bucket = Address::new(Kind::S3Bucket, bucket_key.as_str());
        let bucket_arn = output_ref(&bucket, "arn");
        let statements = [
            json!({
                "Sid": "AWSConfigBucketPermissionsCheck",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": ["s3:GetBucketAcl", "s3:ListBucket"],
                "Resource": bucket_arn,
                "Condition": {"StringEquals": {"AWS:SourceAccount": "${aws.account_id}"}},
            }),
            json!({
                "Sid": "AWSConfigBucketDelivery",
                "Effect": "Allow",
                "Principal": {"Service": "config.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": format!("{bucket_arn}/AWSLogs/${{aws.account_id}}/Config/*"),
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "AWS:SourceAccount": "${aws.account_id}"}},
            }),
        ];
        let statements = statements.map(|st| self.of_this_account(st));
        self.bucket_policies.entry(bucket_key.clone()).or_default().extend(statements);
        let role = self.fixed_role(
            "config-recorder",
            "config.amazonaws.com",
            vec!["arn:aws:iam::aws:policy/service-role/AWS_ConfigRole".into()],
            None,
            loc,
        )?;
        let name = self.blueprint.clone();
        let recorder = Address::new(Kind::ConfigRecorder, "main");
        let attrs = to_attrs(&spec::ConfigRecorder {
            name: name.clone(),
            role_arn: output_ref(&role, "arn"),
            all_supported: r.all_supported,
            include_global_resource_types: r.include_global,
            recording: true,
        });
        self.add(recorder.clone(), attrs, loc);
        let attrs = to_attrs(&spec::ConfigDeliveryChannel {
            name: name.clone(),
            s3_bucket_name: output_ref(&bucket, "name"),
            s3_key_prefix: None,
            sns_topic_arn: topic,
            delivery_frequency: r.delivery_frequency.value.clone(),
        });
        // AWS wants the recorder before the channel, and the bucket policy before either.
        let deps = [recorder.clone(), Address::new(Kind::S3BucketPolicy, bucket_key.as_str())];
        let channel = Address::new(Kind::ConfigDeliveryChannel, "main");
        self.add_with(channel.clone(), attrs, loc, &deps);
        if r.if_exists == raw::IfExists::Use {
            self.uses_existing.extend([recorder.clone(), channel]);
        }
        Some(output_ref(&recorder, "name"))
    }

    // ---- hosts -------------------------------------------------------------------------
}
