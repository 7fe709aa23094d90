//! Team state in S3: `--state s3://bucket/key`, locked with S3 conditional writes (no
//! DynamoDB table).
//!
//! - The lock is the object `KEY.lock`, created with `If-None-Match: *`: S3 lets exactly one
//!   writer create it; the others get `PreconditionFailed` and read who holds it.
//! - State is written with `If-Match: ETAG` of the version this run read (or
//!   `If-None-Match: *` for the first write), so a write based on stale state is refused
//!   rather than silently overwriting another run's work. Each PutObject replaces the object
//!   whole: a reader sees the old state or the new, never half of one.
//! - The previous version is copied to `KEY.backup` before each write. Objects are written
//!   with SSE-S3 encryption.

use std::path::PathBuf;
use std::sync::Mutex;

use async_trait::async_trait;
use aws_sdk_s3::primitives::ByteStream;
use aws_sdk_s3::types::ServerSideEncryption;
use aws_smithy_types::error::metadata::ProvideErrorMetadata;

use super::AwsOptions;
use crate::state::{Acquired, LockInfo, State, StateBackend, StateError, StateSink, FORMAT_VERSION};

pub struct S3State {
    client: aws_sdk_s3::Client,
    bucket: String,
    /// The account the bucket must belong to, sent with every call (`ExpectedBucketOwner`):
    /// the credentials' own, or `SOCFORM_STATE_BUCKET_OWNER`. A bucket of that name in
    /// another account (deleted and taken by someone else, or a typo) is refused by S3
    /// instead of receiving state and locks.
    owner: String,
    key: String,
    /// ETag of the state object as this run last read or wrote it.
    etag: Mutex<Option<String>>,
    /// API calls by service (`state-s3`, `state-sts`), counted as the provider counts its own.
    calls: std::sync::Arc<Mutex<std::collections::BTreeMap<String, u64>>>,
}

fn io(message: impl Into<String>) -> std::io::Error {
    std::io::Error::other(message.into())
}

impl S3State {
    /// `s3://bucket/key`.
    pub fn parse(url: &str) -> Option<(String, String)> {
        let rest = url.strip_prefix("s3://")?;
        let (bucket, key) = rest.split_once('/')?;
        (!bucket.is_empty() && !key.is_empty()).then(|| (bucket.to_string(), key.to_string()))
    }

    pub async fn new(url: &str, opts: &AwsOptions) -> Result<Self, StateError> {
        let (bucket, key) = Self::parse(url).ok_or_else(|| StateError::Parse {
            path: PathBuf::from(url),
            message: "a remote state is named `s3://BUCKET/KEY`".into(),
        })?;
        let conf = super::sdk_config(opts).await;
        let calls: std::sync::Arc<Mutex<std::collections::BTreeMap<String, u64>>> = Default::default();
        let counter = |service: &'static str| super::CallCounter { service, calls: calls.clone() };
        let owner = match std::env::var("SOCFORM_STATE_BUCKET_OWNER").ok().filter(|v| !v.is_empty()) {
            Some(o) if o.len() == 12 && o.bytes().all(|b| b.is_ascii_digit()) => o,
            Some(o) => {
                return Err(StateError::Parse {
                    path: PathBuf::from(url),
                    message: format!("SOCFORM_STATE_BUCKET_OWNER `{o}` is not an AWS account id (12 digits)"),
                })
            }
            None => aws_sdk_sts::Client::from_conf(
                aws_sdk_sts::config::Builder::from(&conf).interceptor(counter("state-sts")).build(),
            )
            .get_caller_identity()
                .send()
                .await
                .ok()
                .and_then(|o| o.account().map(str::to_string))
                .ok_or_else(|| StateError::Read {
                    path: PathBuf::from(url),
                    source: io("cannot tell which AWS account the credentials belong to (STS), so not which account the state bucket must belong to"),
                })?,
        };
        Ok(Self {
            client: aws_sdk_s3::Client::from_conf(
                super::s3_config(&conf, opts).interceptor(counter("state-s3")).build(),
            ),
            bucket,
            owner,
            key,
            etag: Mutex::new(None),
            calls,
        })
    }

    fn url(&self, key: &str) -> PathBuf {
        PathBuf::from(format!("s3://{}/{key}", self.bucket))
    }

    fn lock_key(&self) -> String {
        format!("{}.lock", self.key)
    }

    async fn get(&self, key: &str) -> Result<Option<(Vec<u8>, Option<String>)>, StateError> {
        match self.client.get_object().bucket(&self.bucket).expected_bucket_owner(&self.owner).key(key).send().await {
            Ok(out) => {
                let etag = out.e_tag().map(str::to_string);
                let bytes = out
                    .body
                    .collect()
                    .await
                    .map_err(|e| StateError::Read { path: self.url(key), source: io(e.to_string()) })?;
                Ok(Some((bytes.into_bytes().to_vec(), etag)))
            }
            Err(e) if matches!(e.code(), Some("NoSuchKey") | Some("NotFound")) => Ok(None),
            Err(e) => Err(StateError::Read {
                path: self.url(key),
                source: io(aws_smithy_types::error::display::DisplayErrorContext(&e).to_string()),
            }),
        }
    }
}

#[async_trait]
impl StateSink for S3State {
    async fn save(&self, state: &mut State) -> Result<(), StateError> {
        state.serial += 1;
        let mut text = serde_json::to_vec_pretty(state).expect("state serialises");
        text.push(b'\n');
        let werr = |m: String| StateError::Write { path: self.url(&self.key), source: io(m) };
        let current = self.etag.lock().unwrap().clone();
        if current.is_some() {
            if let Some((old, _)) = self.get(&self.key).await? {
                self.client
                    .put_object()
                    .bucket(&self.bucket)
                    .expected_bucket_owner(&self.owner)
                    .key(format!("{}.backup", self.key))
                    .body(ByteStream::from(old))
                    .server_side_encryption(ServerSideEncryption::Aes256)
                    .send()
                    .await
                    .map_err(|e| {
                        werr(format!("backup: {}", aws_smithy_types::error::display::DisplayErrorContext(&e)))
                    })?;
            }
        }
        let mut put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .expected_bucket_owner(&self.owner)
            .key(&self.key)
            .body(ByteStream::from(text))
            .content_type("application/json")
            .server_side_encryption(ServerSideEncryption::Aes256);
        put = match &current {
            Some(etag) => put.if_match(etag),
            None => put.if_none_match("*"),
        };
        match put.send().await {
            Ok(out) => {
                *self.etag.lock().unwrap() = out.e_tag().map(str::to_string);
                Ok(())
            }
            Err(e) if e.code() == Some("PreconditionFailed") => Err(werr(
                "the state changed since this run read it (another writer, or a lock broken by hand): nothing was overwritten; plan again".into(),
            )),
            Err(e) => Err(werr(aws_smithy_types::error::display::DisplayErrorContext(&e).to_string())),
        }
    }
}

#[async_trait]
impl StateBackend for S3State {
    fn location(&self) -> String {
        format!("s3://{}/{}", self.bucket, self.key)
    }

    fn call_counts(&self) -> std::collections::BTreeMap<String, u64> {
        self.calls.lock().map(|c| c.clone()).unwrap_or_default()
    }

    async fn fetch(&self) -> Result<Option<State>, StateError> {
        let Some((bytes, etag)) = self.get(&self.key).await? else {
            *self.etag.lock().unwrap() = None;
            return Ok(None);
        };
        let probe: serde_json::Value = serde_json::from_slice(&bytes)
            .map_err(|e| StateError::Parse { path: self.url(&self.key), message: e.to_string() })?;
        let found = probe.get("format_version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        if found > FORMAT_VERSION {
            return Err(StateError::Version { path: self.url(&self.key), found });
        }
        let state = serde_json::from_value(probe)
            .map_err(|e| StateError::Parse { path: self.url(&self.key), message: e.to_string() })?;
        *self.etag.lock().unwrap() = etag;
        Ok(Some(state))
    }

    async fn acquire(&self, operation: &str) -> Result<Acquired, StateError> {
        let info = LockInfo::new(operation);
        let body = serde_json::to_vec_pretty(&info).expect("lock info serialises");
        let put = self
            .client
            .put_object()
            .bucket(&self.bucket)
            .expected_bucket_owner(&self.owner)
            .key(self.lock_key())
            .body(ByteStream::from(body))
            .if_none_match("*")
            .server_side_encryption(ServerSideEncryption::Aes256)
            .send()
            .await;
        match put {
            // A holder elsewhere cannot be proven dead from here: never broken automatically.
            Ok(_) => Ok(Acquired { lock: info, broke: None }),
            Err(e) if e.code() == Some("PreconditionFailed") => {
                let holder = self
                    .get(&self.lock_key())
                    .await?
                    .and_then(|(b, _)| serde_json::from_slice::<LockInfo>(&b).ok())
                    .unwrap_or_else(LockInfo::unknown);
                Err(StateError::Locked { path: self.url(&self.key), holder: Box::new(holder) })
            }
            Err(e) => Err(StateError::Write {
                path: self.url(&self.lock_key()),
                source: io(aws_smithy_types::error::display::DisplayErrorContext(&e).to_string()),
            }),
        }
    }

    async fn release(&self, lock: &LockInfo) -> Result<(), StateError> {
        let Some((bytes, etag)) = self.get(&self.lock_key()).await? else { return Ok(()) };
        let holder = serde_json::from_slice::<LockInfo>(&bytes).ok();
        if holder.is_some_and(|h| h.id == lock.id) {
            self.delete_lock(etag).await?;
        }
        Ok(())
    }

    async fn break_lock(&self, id: &str) -> Result<LockInfo, StateError> {
        let (bytes, etag) =
            self.get(&self.lock_key()).await?.ok_or_else(|| StateError::NotLocked { path: self.url(&self.key) })?;
        // A lock object that names no holder (empty or damaged) is `unknown`, as the error
        // that refused the run said: `state unlock unknown` breaks it.
        let holder = serde_json::from_slice::<LockInfo>(&bytes).unwrap_or_else(|_| LockInfo::unknown());
        if holder.id != id {
            return Err(StateError::WrongLockId { path: self.url(&self.key), given: id.into(), actual: holder.id });
        }
        self.delete_lock(etag).await?;
        Ok(holder)
    }
}

impl S3State {
    /// Deletes the lock object read with `etag`. Conditional: only that very object goes,
    /// never a lock another run took in between (S3 answers 412 then, and that lock stays).
    async fn delete_lock(&self, etag: Option<String>) -> Result<(), StateError> {
        match self
            .client
            .delete_object()
            .bucket(&self.bucket)
            .expected_bucket_owner(&self.owner)
            .key(self.lock_key())
            .set_if_match(etag)
            .send()
            .await
        {
            Ok(_) => Ok(()),
            Err(e) if e.raw_response().is_some_and(|r| r.status().as_u16() == 412) => Ok(()),
            Err(e) => Err(StateError::Write {
                path: self.url(&self.lock_key()),
                source: io(aws_smithy_types::error::display::DisplayErrorContext(&e).to_string()),
            }),
        }
    }
}
