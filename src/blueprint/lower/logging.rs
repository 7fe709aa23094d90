//! Lowering `buckets:`, `log_groups:` and `trail:` (with its bucket policy and log delivery role).

use super::iam::policy_doc;
use super::*;

impl Lower<'_> {
    pub(super) fn bucket(&mut self, key: &str, b: &raw::Bucket, loc: Loc) -> Option<Address> {
        let name =
            b.name.clone().unwrap_or_else(|| Sp::new(format!("{}-{key}-${{aws.account_id}}", self.blueprint), loc));
        self.check(name.loc, names::bucket(&name));
        self.claim_name(Kind::S3Bucket, &name, name.loc);
        if !["AES256", "aws:kms"].contains(&b.encryption.as_str()) {
            self.error(
                b.encryption.loc,
                format!("encryption `{}` is invalid: use `AES256` or `aws:kms`", b.encryption.value),
            );
        }
        if b.kms_key.is_some() && b.encryption.as_str() != "aws:kms" {
            self.error(b.encryption.loc, "`kms_key` needs `encryption: aws:kms`");
        }
        let logs_to = b.access_logs.as_ref().and_then(|target| {
            if target.value == key {
                self.error_help(
                    target.loc,
                    format!("bucket `{key}` cannot log its own access"),
                    "each log delivered would be logged again: send them to another entry of `buckets`",
                );
                return None;
            }
            self.reference(Section::Bucket, target)
        });
        let tags = self.tags(&b.tags, loc);
        let attrs = to_attrs(&spec::S3Bucket {
            bucket: name.value.clone(),
            versioning: b.versioning,
            encryption: b.encryption.value.clone(),
            kms_key_id: b.kms_key.clone(),
            block_public_access: b.public_access_block,
            force_destroy: !b.retain_objects,
            access_log_bucket: logs_to.as_ref().map(|t| self.out(Section::Bucket, t, "name")),
            access_log_prefix: logs_to.as_ref().map(|_| format!("{key}/")),
            tags,
        });
        // Every socform bucket refuses plain HTTP.
        let arn = self.out(Section::Bucket, key, "arn");
        if let Some(target) = &logs_to {
            // The S3 logging service may write this bucket's logs, under its prefix, and
            // nothing else. The bucket is made after the target bucket (its name is a
            // reference), not after this policy: a bucket needing a bucket policy would make
            // the kinds' teardown order a cycle. PutBucketLogging waits for the grant instead.
            let target_arn = self.out(Section::Bucket, target, "arn");
            // First in the policy: moto 5.2.5's PutBucketLogging check reads each statement's
            // Principal as a map and answers HTTP 500 at the `"*"` of DenyInsecureTransport
            // (order means nothing to AWS).
            let statement = self.of_this_account(json!({
                    "Sid": format!("S3ServerAccessLogs{}", key.replace(|c: char| !c.is_ascii_alphanumeric(), "")),
                    "Effect": "Allow",
                    "Principal": {"Service": "logging.s3.amazonaws.com"},
                    "Action": "s3:PutObject",
                    "Resource": format!("{target_arn}/{key}/*"),
                    // The name, not `${s3_bucket.KEY.arn}`: this bucket is made after the policy.
                    "Condition": {
                        "ArnLike": {"aws:SourceArn": format!("arn:${{aws.partition}}:s3:::{}", name.value)},
                        "StringEquals": {"aws:SourceAccount": "${aws.account_id}"},
                    },
            }));
            self.bucket_policies.entry(target.clone()).or_default().insert(0, statement);
        }
        self.bucket_policies.entry(key.to_string()).or_default().push(json!({
            "Sid": "DenyInsecureTransport",
            "Effect": "Deny",
            "Principal": "*",
            "Action": "s3:*",
            "Resource": [arn.clone(), format!("{arn}/*")],
            "Condition": {"Bool": {"aws:SecureTransport": "false"}},
        }));
        self.add(Address::new(Kind::S3Bucket, key), attrs, loc)
    }

    pub(super) fn bucket_policies(&mut self) {
        let policies = std::mem::take(&mut self.bucket_policies);
        for (key, statements) in policies {
            let bucket = Address::new(Kind::S3Bucket, key.as_str());
            let Some((_, loc)) = self.resources.get(&bucket) else { continue };
            let loc = *loc;
            self.place_with(&bucket);
            let attrs =
                to_attrs(&spec::S3BucketPolicy { bucket: output_ref(&bucket, "name"), policy: policy_doc(statements) });
            self.add(Address::new(Kind::S3BucketPolicy, key.as_str()), attrs, loc);
        }
    }

    pub(super) fn log_group(
        &mut self,
        key: &str,
        name: Option<&Sp<String>>,
        retention: Option<&Sp<i64>>,
        kms_key: Option<String>,
        own_tags: &raw::Tags,
        loc: Loc,
    ) -> Option<Address> {
        let name = name.cloned().unwrap_or_else(|| Sp::new(self.default_name(key), loc));
        self.check(name.loc, names::log_group(&name));
        self.claim_name(Kind::LogGroup, &name, name.loc);
        if let Some(r) = retention {
            if !names::RETENTION_DAYS.contains(&r.value) {
                let near = names::RETENTION_DAYS.iter().min_by_key(|d| (*d - r.value).abs()).copied().unwrap_or(30);
                self.error_help(
                    r.loc,
                    format!("CloudWatch Logs cannot keep logs for {} days", r.value),
                    format!("the nearest accepted value is {near}; accepted: 1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288, 3653"),
                );
            }
        }
        let tags = self.tags(own_tags, loc);
        let attrs = to_attrs(&spec::LogGroup {
            log_group_name: name.value.clone(),
            retention_in_days: retention.map(|r| r.value as i32),
            kms_key_id: kms_key,
            tags,
        });
        self.add(Address::new(Kind::LogGroup, key), attrs, loc)
    }

    pub(super) fn trail(&mut self, t: raw::Trail, loc: Loc) {
        let name = t.name.clone().unwrap_or_else(|| Sp::new(self.blueprint.clone(), loc));
        self.check(name.loc, names::trail(&name));
        let bucket_key = match &t.bucket.value {
            raw::TrailBucket::Named(n) => {
                let Some(k) = self.reference(Section::Bucket, &Sp::new(n.clone(), t.bucket.loc)) else { return };
                k
            }
            raw::TrailBucket::Inline(b) => {
                if self.resources.contains_key(&Address::new(Kind::S3Bucket, "trail")) {
                    self.error(
                        t.bucket.loc,
                        "`buckets.trail` exists already: name it here (`bucket: trail`) instead of defining another",
                    );
                    return;
                }
                self.bucket("trail", b, t.bucket.loc);
                "trail".to_string()
            }
        };
        let bucket = Address::new(Kind::S3Bucket, bucket_key.as_str());
        let bucket_arn = output_ref(&bucket, "arn");
        let trail_arn =
            format!("arn:${{aws.partition}}:cloudtrail:{}:${{aws.account_id}}:trail/{}", self.region, name.value);
        let prefix = t.key_prefix.as_ref().map(|p| format!("{p}/")).unwrap_or_default();
        // CloudTrail may write its log files under `AWSLogs/<under>/`, for this trail alone.
        let write = |sid: &str, under: &str| {
            json!({
                "Sid": sid,
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:PutObject",
                "Resource": format!("{bucket_arn}/{prefix}AWSLogs/{under}/*"),
                "Condition": {"StringEquals": {"s3:x-amz-acl": "bucket-owner-full-control", "aws:SourceArn": trail_arn}},
            })
        };
        let mut statements = vec![
            json!({
                "Sid": "AWSCloudTrailAclCheck",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "s3:GetBucketAcl",
                "Resource": bucket_arn,
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            }),
            write("AWSCloudTrailWrite", "${aws.account_id}"),
        ];
        // An organization trail writes every member account's logs under the organization's id.
        if t.organization {
            statements.push(write("AWSCloudTrailOrganizationWrite", "${aws.organization_id}"));
            if self.placing.is_some() {
                self.error(
                    loc,
                    "an organization trail is made in the management account, the caller's: leave out its `account:`",
                );
            }
        }
        let statements: Vec<Value> = statements.into_iter().map(|st| self.of_this_account(st)).collect();
        self.bucket_policies.entry(bucket_key.clone()).or_default().extend(statements);

        let mut deps = vec![Address::new(Kind::S3BucketPolicy, bucket_key.as_str())];
        // The trail's own key, made before its log group, which it may encrypt.
        let encrypted = t.cloudwatch_logs.as_ref().and_then(|cw| cw.encrypted.clone()).filter(|e| e.value);
        if let (Some(e), false) = (&encrypted, t.own_kms_key) {
            self.error_help(
                e.loc,
                "`encrypted: true` encrypts the log group with the trail's own key, and the trail has none",
                "add `own_kms_key: true` to the trail",
            );
        }
        let own_key = if t.own_kms_key {
            if t.kms_key.is_some() {
                self.error_help(
                    loc,
                    "the trail gives both `kms_key` and `own_kms_key: true`",
                    "`kms_key` is a key the account has; `own_kms_key` makes one for the trail: say one",
                );
            }
            let log_group = match (&encrypted, &t.cloudwatch_logs) {
                (Some(_), Some(cw)) => Some(self.default_name(&cw.log_group.value)),
                _ => None,
            };
            self.trail_key(&trail_arn, log_group.as_deref(), &t.tags, loc).map(|k| output_ref(&k, "arn"))
        } else {
            None
        };
        let (mut lg_arn, mut role_arn) = (None, None);
        if let Some(cw) = &t.cloudwatch_logs {
            let key = cw.log_group.value.clone();
            let lg_key = encrypted.as_ref().and(own_key.clone());
            if self.check(cw.log_group.loc, names::key(&key)) {
                if let Some(lg) =
                    self.log_group(&key, None, cw.retention_days.as_ref(), lg_key, &BTreeMap::new(), cw.loc)
                {
                    let arn = output_ref(&lg, "arn");
                    let policy = policy_doc(vec![json!({
                        "Effect": "Allow",
                        "Action": ["logs:CreateLogStream", "logs:PutLogEvents"],
                        "Resource": format!("{arn}:log-stream:*"),
                    })]);
                    if let Some(role) =
                        self.fixed_role("cloudtrail-logs", "cloudtrail.amazonaws.com", vec![], Some(policy), cw.loc)
                    {
                        role_arn = Some(output_ref(&role, "arn"));
                        deps.push(role);
                    }
                    lg_arn = Some(format!("{arn}:*"));
                }
            }
        }
        self.claim_name(Kind::Trail, &name, name.loc);
        // AWS lets a trail's selector leave out the management events of these two sources
        // alone (the high-volume, low-value ones).
        const EXCLUDABLE: &[&str] = &["kms.amazonaws.com", "rdsdata.amazonaws.com"];
        let mut exclude = Vec::new();
        for src in &t.exclude_sources {
            if EXCLUDABLE.contains(&src.as_str()) {
                exclude.push(src.value.clone());
            } else {
                self.error_help(
                    src.loc,
                    format!("`{}` cannot be left out of a trail's management events", src.value),
                    "AWS allows `kms.amazonaws.com` and `rdsdata.amazonaws.com`",
                );
            }
        }
        exclude.sort();
        exclude.dedup();
        let sns_topic = match &t.notify {
            Some(topic) => {
                let key = self.reference(Section::Topic, topic);
                key.map(|k| {
                    self.publishes_to(&k, "cloudtrail.amazonaws.com");
                    self.out(Section::Topic, &k, "name")
                })
            }
            None => None,
        };
        let s3_data_events = match &t.s3_data_events {
            None => vec![],
            Some(d) => match &d.value {
                raw::DataEvents::Word(w) if w == "all" => vec!["arn:${aws.partition}:s3".to_string()],
                raw::DataEvents::Word(w) if w == "none" => vec![],
                raw::DataEvents::Word(w) => {
                    self.error_help(
                        d.loc,
                        format!("`s3_data_events: {w}` is not a choice"),
                        "say `all`, `none`, or list keys of `buckets` (`[trail]` for the trail's own)",
                    );
                    vec![]
                }
                raw::DataEvents::Buckets(keys) => {
                    let mut values: Vec<String> = keys
                        .iter()
                        .filter_map(|k| self.reference(Section::Bucket, &Sp::new(k.clone(), d.loc)))
                        .map(|k| format!("{}/", output_ref(&Address::new(Kind::S3Bucket, k.as_str()), "arn")))
                        .collect();
                    values.sort();
                    values.dedup();
                    values
                }
            },
        };
        let kms_key_id = if t.own_kms_key { own_key } else { t.kms_key.clone() };
        let tags = self.tags(&t.tags, loc);
        let attrs = to_attrs(&spec::Trail {
            name: name.value.clone(),
            s3_bucket_name: output_ref(&bucket, "name"),
            s3_key_prefix: t.key_prefix.clone(),
            is_multi_region_trail: t.multi_region,
            is_organization_trail: t.organization,
            enable_log_file_validation: t.log_file_validation,
            include_global_service_events: t.global_service_events,
            cloud_watch_logs_log_group_arn: lg_arn,
            cloud_watch_logs_role_arn: role_arn,
            kms_key_id,
            sns_topic_name: sns_topic,
            exclude_management_event_sources: exclude,
            s3_data_events,
            logging: t.logging,
            tags,
        });
        self.add_with(Address::new(Kind::Trail, "main"), attrs, loc, &deps);
    }

    // ---- notifications and detections --------------------------------------------------

    /// The trail's own KMS key (`kms_key.trail`) with a least-privilege key policy: the
    /// account administers it (no use of it comes with that); CloudTrail may make data keys
    /// and describe it for this trail alone; the account's principals may decrypt what a trail
    /// of this account encrypted (IAM policies then say who); with `log_group`, the name of the
    /// trail's log group encrypted with it, CloudWatch Logs may use it for that group alone.
    /// Rotation on; destroy schedules the deletion with AWS's shortest window.
    fn trail_key(
        &mut self,
        trail_arn: &str,
        log_group: Option<&str>,
        own_tags: &raw::Tags,
        loc: Loc,
    ) -> Option<Address> {
        let account = "arn:${aws.partition}:iam::${aws.account_id}:root";
        let mut statements = vec![
            json!({
                "Sid": "AccountAdministersTheKey",
                "Effect": "Allow",
                "Principal": {"AWS": account},
                "Action": [
                    "kms:Create*", "kms:Describe*", "kms:Enable*", "kms:List*", "kms:Put*", "kms:Update*",
                    "kms:Revoke*", "kms:Disable*", "kms:Get*", "kms:Delete*", "kms:TagResource",
                    "kms:UntagResource", "kms:ScheduleKeyDeletion", "kms:CancelKeyDeletion",
                ],
                "Resource": "*",
            }),
            json!({
                "Sid": "CloudTrailEncryptsForThisTrail",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:GenerateDataKey*",
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"aws:SourceArn": trail_arn},
                    "StringLike": {"kms:EncryptionContext:aws:cloudtrail:arn": trail_arn},
                },
            }),
            json!({
                "Sid": "CloudTrailDescribesTheKey",
                "Effect": "Allow",
                "Principal": {"Service": "cloudtrail.amazonaws.com"},
                "Action": "kms:DescribeKey",
                "Resource": "*",
                "Condition": {"StringEquals": {"aws:SourceArn": trail_arn}},
            }),
            json!({
                "Sid": "AccountDecryptsTrailLogs",
                "Effect": "Allow",
                "Principal": {"AWS": account},
                "Action": ["kms:Decrypt", "kms:ReEncryptFrom"],
                "Resource": "*",
                "Condition": {
                    "StringEquals": {"kms:CallerAccount": "${aws.account_id}"},
                    "StringLike": {
                        "kms:EncryptionContext:aws:cloudtrail:arn": "arn:${aws.partition}:cloudtrail:*:${aws.account_id}:trail/*",
                    },
                },
            }),
        ];
        if let Some(name) = log_group {
            // The trail's log group, encrypted with this key: CloudWatch Logs may use it for
            // that log group alone (named by its ARN, not by a reference: the group needs
            // the key first).
            statements.push(json!({
                "Sid": "CloudWatchLogsEncryptsTheTrailsLogGroup",
                "Effect": "Allow",
                "Principal": {"Service": "logs.${aws.region}.amazonaws.com"},
                "Action": ["kms:Encrypt*", "kms:Decrypt*", "kms:ReEncrypt*", "kms:GenerateDataKey*", "kms:Describe*"],
                "Resource": "*",
                "Condition": {
                    "ArnEquals": {
                        "kms:EncryptionContext:aws:logs:arn": format!("arn:${{aws.partition}}:logs:${{aws.region}}:${{aws.account_id}}:log-group:{name}"),
                    },
                },
            }));
        }
        let policy = policy_doc(statements);
        let tags = self.tags(own_tags, loc);
        let attrs = to_attrs(&spec::KmsKey {
            description: format!("socform: the {} trail's logs", self.blueprint),
            policy,
            rotation: true,
            deletion_window_days: 7,
            tags,
        });
        self.add(Address::new(Kind::KmsKey, "trail"), attrs, loc)
    }
}
