//! State: what socform created, keyed by address, on disk.
//!
//! A state file is versioned JSON with a lineage (fixed when the state is first made) and a
//! serial (bumped by every write). Writes are atomic: a temporary file in the same folder,
//! written with mode 0600, flushed with fsync, then renamed over the old one, whose previous
//! content is kept as `FILE.backup`. An exclusive lock file (`FILE.lock`, created with
//! `O_EXCL`) names its holder; a lock left by a crashed run is broken explicitly with
//! `socform state unlock ID`.
//!
//! **Architecture Invariant:** state never holds a secret value, only fingerprints.

use std::collections::BTreeMap;
use std::fs::{self, File, OpenOptions};
use std::io::Write;
use std::path::{Path, PathBuf};
use std::sync::Mutex;

use serde::{Deserialize, Serialize};

use crate::address::Address;
use crate::model::{Attrs, Kind};

pub const FORMAT_VERSION: u32 = 1;

/// The state of one blueprint.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct State {
    pub format_version: u32,
    /// Fixed for the life of this state: a saved plan names it.
    pub lineage: String,
    /// Bumped on every write.
    pub serial: u64,
    pub blueprint: String,
    pub region: String,
    /// The AWS account the resources live in, once known.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub account_id: Option<String>,
    /// The ids of the named accounts of the blueprint's `accounts:`, once known: each is
    /// pinned as `account_id` is.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub accounts: BTreeMap<String, String>,
    /// The caller's AWS organization, once a blueprint used `${aws.organization_id}`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub organization_id: Option<String>,
    pub resources: BTreeMap<Address, Record>,
    /// Creates under way whose API cannot tag in the same call (S3 buckets): written before
    /// the create starts, removed when it ends. A run killed between the create and the
    /// tagging leaves the marker, and refresh then recognises the untagged resource of that
    /// exact name as this state's own if AWS says it was created after the marker.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub pending: BTreeMap<Address, Pending>,
    /// The blueprint's outputs as the last apply resolved them (`socform output`).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub outputs: BTreeMap<String, String>,
    /// The lab's `socform:` tags as the last apply wrote them (expiry, owner, creation).
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub labels: BTreeMap<String, String>,
    /// `socform pause` stopped the lab's hosts; `resume` starts them.
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub paused: bool,
    /// `--lab NAME`: which lab of the blueprint this state is, recorded with its first
    /// write. A lab's blueprint name is `BLUEPRINT-NAME`, which another blueprint may also
    /// be called: this is what tells the two apart (`pin_state` refuses a mismatch).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub lab: Option<String>,
    /// A lab read back from its tags for `ls` and `reap` (never written, never applied):
    /// what hangs off the lab's own proven resources and carries no tags (the metric
    /// filters on its log groups, which AWS deletes with the group) counts as the lab's.
    /// An apply's state never has it: there, a filter's name proves nothing.
    #[serde(skip)]
    pub discovery: bool,
}

/// A create under way (see [`State::pending`]).
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct Pending {
    /// The AWS name it is created with.
    pub name: String,
    /// When the create started, in seconds since the Unix epoch.
    pub since: u64,
    /// The user tags the create call itself sets, for kinds whose create takes them in the
    /// same call (Security Hub): what the resource carries if the call took effect, for
    /// refresh to report where AWS cannot say (moto).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub tags: Option<std::collections::BTreeMap<String, String>>,
    /// What the create replaces: the attributes of the account's own singleton as the plan
    /// read them (an IAM password policy the blueprint says to replace), so that a run
    /// killed after the create still knows what destroy puts back.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub replaces: Option<crate::model::Attrs>,
}

/// One resource socform manages.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Record {
    pub kind: Kind,
    /// The physical id AWS gave it (or its name, for kinds named by the user).
    pub id: String,
    /// Attributes as last applied or read back, templates resolved.
    pub attributes: Attrs,
    /// Values other resources may use: `id`, `arn`, `name`, `private_ip`...
    #[serde(default)]
    pub outputs: BTreeMap<String, String>,
    /// What it needed when it was made: destroy runs these edges backwards.
    #[serde(default)]
    pub dependencies: Vec<Address>,
}

impl State {
    pub fn new(blueprint: &str, region: &str) -> Self {
        Self {
            format_version: FORMAT_VERSION,
            lineage: uuid::Uuid::new_v4().to_string(),
            serial: 0,
            blueprint: blueprint.to_string(),
            region: region.to_string(),
            account_id: None,
            accounts: BTreeMap::new(),
            organization_id: None,
            resources: BTreeMap::new(),
            pending: BTreeMap::new(),
            outputs: BTreeMap::new(),
            labels: BTreeMap::new(),
            paused: false,
            lab: None,
            discovery: false,
        }
    }

    /// The lab this state is (`--lab`): recorded, or for a state written before the field
    /// existed, the `socform:lab` label its last apply wrote.
    pub fn lab_name(&self) -> Option<&str> {
        self.lab.as_deref().or_else(|| self.labels.get(crate::model::TAG_LAB).map(String::as_str))
    }
}

/// Whether `s` is a lineage socform could have made: a UUID in its canonical hyphenated
/// lowercase form. A lineage read back from a tag is anyone's text until this says so.
pub fn is_lineage(s: &str) -> bool {
    uuid::Uuid::parse_str(s).is_ok_and(|u| u.hyphenated().to_string() == s)
}

/// What can go wrong with state.
#[derive(Debug, thiserror::Error)]
pub enum StateError {
    /// The file exists but cannot be read.
    #[error("cannot read state `{path}`: {source}")]
    Read { path: PathBuf, source: std::io::Error },
    /// The file is not socform state.
    #[error("state `{path}` is not valid socform state: {message}")]
    Parse { path: PathBuf, message: String },
    /// The file was written by a newer socform.
    #[error("state `{path}` has format version {found}; this socform reads version {FORMAT_VERSION}: upgrade socform")]
    Version { path: PathBuf, found: u32 },
    /// The file cannot be written.
    #[error("cannot write state `{path}`: {source}")]
    Write { path: PathBuf, source: std::io::Error },
    /// Another run holds the lock.
    #[error("state `{path}` is locked by {holder}")]
    Locked { path: PathBuf, holder: Box<LockInfo> },
    /// `unlock` was given the wrong id.
    #[error("the lock on `{path}` has id {actual}, not {given}: nothing was unlocked")]
    WrongLockId { path: PathBuf, given: String, actual: String },
    /// `unlock` found no lock.
    #[error("state `{path}` is not locked")]
    NotLocked { path: PathBuf },
}

/// Who holds a lock.
#[derive(Clone, Debug, PartialEq, Eq, Serialize, Deserialize)]
pub struct LockInfo {
    pub id: String,
    pub operation: String,
    pub who: String,
    pub host: String,
    pub pid: u32,
    /// RFC 3339.
    pub created: String,
    /// When the holder process started (clock ticks since boot, `/proc/PID/stat`), so that
    /// a new process that got the same pid is not taken for the holder.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub start_ticks: Option<u64>,
    /// The kernel's boot id: after a reboot no process of the holder's can be running.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub boot_id: Option<String>,
}

impl std::fmt::Display for LockInfo {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "`{}` ({}, pid {} on {}, since {}; lock id {})",
            self.operation, self.who, self.pid, self.host, self.created, self.id
        )
    }
}

impl LockInfo {
    pub fn new(operation: &str) -> Self {
        let host = fs::read_to_string("/proc/sys/kernel/hostname")
            .map(|s| s.trim().to_string())
            .or_else(|_| std::env::var("HOSTNAME"))
            .unwrap_or_else(|_| "unknown-host".into());
        let who = std::env::var("USER").or_else(|_| std::env::var("LOGNAME")).unwrap_or_else(|_| "unknown".into());
        let created =
            time::OffsetDateTime::now_utc().format(&time::format_description::well_known::Rfc3339).unwrap_or_default();
        let pid = std::process::id();
        Self {
            id: uuid::Uuid::new_v4().to_string(),
            operation: operation.into(),
            who,
            host,
            pid,
            created,
            start_ticks: start_ticks(pid),
            boot_id: boot_id(),
        }
    }

    /// A lock whose description cannot be read.
    pub fn unknown() -> Self {
        Self {
            id: "unknown".into(),
            operation: "unknown".into(),
            who: "unknown".into(),
            host: "unknown".into(),
            pid: 0,
            created: "unknown".into(),
            start_ticks: None,
            boot_id: None,
        }
    }

    /// Whether the holder is provably a process of this machine that has exited: same host,
    /// and the machine rebooted since, or no process has its pid, or the process with its
    /// pid started at another time (the pid was reused). A holder on another host, or one
    /// whose liveness cannot be read, is never called gone: without `/proc` (macOS, the
    /// BSDs) nothing proves a process gone, and the lock stands until `state unlock`.
    pub fn holder_is_gone(&self) -> bool {
        self.holder_is_gone_in(Path::new("/proc"))
    }

    /// [`Self::holder_is_gone`] with the process file system at `proc`.
    fn holder_is_gone_in(&self, proc: &Path) -> bool {
        let here = LockInfo::new("");
        if self.host != here.host {
            return false;
        }
        // No process file system: no pid can be looked up, so none is proven gone.
        if !proc.join("self").exists() {
            return false;
        }
        if let (Some(then), Some(now)) = (&self.boot_id, &here.boot_id) {
            if then != now {
                return true;
            }
        }
        if !proc.join(self.pid.to_string()).exists() {
            return true;
        }
        match (self.start_ticks, start_ticks(self.pid)) {
            (Some(then), Some(now)) => then != now,
            _ => false,
        }
    }
}

/// When process `pid` started, in clock ticks since boot (field 22 of `/proc/PID/stat`).
fn start_ticks(pid: u32) -> Option<u64> {
    let stat = fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // The command name (field 2) is in parentheses and may hold spaces: count after it.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(19)?.parse().ok()
}

fn boot_id() -> Option<String> {
    fs::read_to_string("/proc/sys/kernel/random/boot_id").ok().map(|s| s.trim().to_string())
}

/// State in a local file.
#[derive(Clone, Debug)]
pub struct LocalState {
    path: PathBuf,
}

impl LocalState {
    pub fn new(path: impl Into<PathBuf>) -> Self {
        Self { path: path.into() }
    }

    pub fn path(&self) -> &Path {
        &self.path
    }

    fn sibling(&self, suffix: &str) -> PathBuf {
        let mut name = self.path.file_name().unwrap_or_default().to_os_string();
        name.push(suffix);
        self.path.with_file_name(name)
    }

    pub fn lock_path(&self) -> PathBuf {
        self.sibling(".lock")
    }

    pub fn backup_path(&self) -> PathBuf {
        self.sibling(".backup")
    }

    /// Reads the state, or `None` when there is none yet.
    pub fn load(&self) -> Result<Option<State>, StateError> {
        let text = match fs::read_to_string(&self.path) {
            Ok(t) => t,
            Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
            Err(source) => return Err(StateError::Read { path: self.path.clone(), source }),
        };
        let probe: serde_json::Value = serde_json::from_str(&text)
            .map_err(|e| StateError::Parse { path: self.path.clone(), message: e.to_string() })?;
        let found = probe.get("format_version").and_then(|v| v.as_u64()).unwrap_or(0) as u32;
        if found > FORMAT_VERSION {
            return Err(StateError::Version { path: self.path.clone(), found });
        }
        serde_json::from_value(probe)
            .map(Some)
            .map_err(|e| StateError::Parse { path: self.path.clone(), message: e.to_string() })
    }

    /// Writes the state atomically, bumping its serial, and keeps the previous file as
    /// `FILE.backup`.
    pub fn save(&self, state: &mut State) -> Result<(), StateError> {
        state.serial += 1;
        let werr = |source| StateError::Write { path: self.path.clone(), source };
        let mut text = serde_json::to_string_pretty(state).expect("state serialises");
        text.push('\n');
        let dir = self.path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
        fs::create_dir_all(dir).map_err(werr)?;
        let tmp = self.sibling(&format!(".tmp.{}", std::process::id()));
        {
            let mut f = open_private(&tmp, true).map_err(werr)?;
            f.write_all(text.as_bytes()).map_err(werr)?;
            f.sync_all().map_err(werr)?;
        }
        if self.path.exists() {
            fs::copy(&self.path, self.backup_path()).map_err(werr)?;
            set_private(&self.backup_path()).map_err(werr)?;
        }
        fs::rename(&tmp, &self.path).map_err(werr)?;
        if let Ok(d) = File::open(dir) {
            let _ = d.sync_all();
        }
        Ok(())
    }

    /// Takes the exclusive lock for `operation` until [`Self::unlock`] (or, after a crash,
    /// until it is broken). A lock whose holder is provably dead on this host
    /// ([`LockInfo::holder_is_gone`]) is broken first, and named in [`Acquired::broke`].
    pub fn lock(&self, operation: &str) -> Result<Acquired, StateError> {
        match self.try_lock(operation) {
            Err(StateError::Locked { holder, .. }) if holder.holder_is_gone() => {
                // Moved aside atomically, then checked: if a live run took the lock in the
                // meantime, what was moved is its lock, and it is put back.
                let aside = self.sibling(&format!(".lock.stale.{}", std::process::id()));
                let werr = |source| StateError::Write { path: self.lock_path(), source };
                fs::rename(self.lock_path(), &aside).map_err(werr)?;
                let moved: Option<LockInfo> =
                    fs::read_to_string(&aside).ok().and_then(|t| serde_json::from_str(&t).ok());
                if moved.as_ref().map(|m| &m.id) != Some(&holder.id) {
                    let _ = fs::rename(&aside, self.lock_path());
                    return Err(StateError::Locked {
                        path: self.path.clone(),
                        holder: Box::new(moved.unwrap_or(*holder)),
                    });
                }
                fs::remove_file(&aside).map_err(werr)?;
                let lock = self.try_lock(operation)?;
                Ok(Acquired { lock, broke: Some(*holder) })
            }
            other => other.map(|lock| Acquired { lock, broke: None }),
        }
    }

    /// Gives back a lock this run took, if it is still the holder (it may have been broken
    /// by hand).
    pub fn unlock(&self, lock: &LockInfo) -> Result<(), StateError> {
        if self.lock_holder().is_some_and(|h| h.id == lock.id) {
            fs::remove_file(self.lock_path()).map_err(|source| StateError::Write { path: self.lock_path(), source })?;
        }
        Ok(())
    }

    fn try_lock(&self, operation: &str) -> Result<LockInfo, StateError> {
        let path = self.lock_path();
        if let Some(dir) = path.parent().filter(|p| !p.as_os_str().is_empty()) {
            fs::create_dir_all(dir).map_err(|source| StateError::Write { path: path.clone(), source })?;
        }
        let info = LockInfo::new(operation);
        match OpenOptions::new().write(true).create_new(true).mode_private().open(&path) {
            Ok(mut f) => {
                let text = serde_json::to_string_pretty(&info).expect("lock info serialises");
                f.write_all(text.as_bytes())
                    .and_then(|_| f.sync_all())
                    .map_err(|source| StateError::Write { path: path.clone(), source })?;
                Ok(info)
            }
            Err(e) if e.kind() == std::io::ErrorKind::AlreadyExists => {
                let holder = self.lock_holder().unwrap_or_else(LockInfo::unknown);
                Err(StateError::Locked { path: self.path.clone(), holder: Box::new(holder) })
            }
            Err(source) => Err(StateError::Write { path, source }),
        }
    }

    /// Who holds the lock, if anyone.
    pub fn lock_holder(&self) -> Option<LockInfo> {
        let text = fs::read_to_string(self.lock_path()).ok()?;
        serde_json::from_str(&text).ok()
    }

    /// Breaks a lock left behind, if `id` matches it.
    pub fn force_unlock(&self, id: &str) -> Result<LockInfo, StateError> {
        // A lock file that names no holder (empty or damaged: a run killed as it wrote it) is
        // `unknown`, as the error that refused the run said: `state unlock unknown` breaks it.
        let holder = match self.lock_holder() {
            Some(h) => h,
            None if self.lock_path().exists() => LockInfo::unknown(),
            None => return Err(StateError::NotLocked { path: self.path.clone() }),
        };
        if holder.id != id {
            return Err(StateError::WrongLockId { path: self.path.clone(), given: id.into(), actual: holder.id });
        }
        fs::remove_file(self.lock_path()).map_err(|source| StateError::Write { path: self.lock_path(), source })?;
        Ok(holder)
    }
}

/// A lock taken: its own description, and the dead holder's lock broken to take it.
#[derive(Clone, Debug)]
pub struct Acquired {
    pub lock: LockInfo,
    pub broke: Option<LockInfo>,
}

/// A resource as a provider read it from AWS (what a refresh reports; the planner
/// compares it with state and the model).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct LiveResource {
    pub id: String,
    pub attributes: Attrs,
    pub outputs: BTreeMap<String, String>,
}

/// What a refresh found.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Snapshot {
    pub account_id: Option<String>,
    /// For each address in state: what exists now, or `None` when it is gone.
    pub resources: BTreeMap<Address, Option<LiveResource>>,
    /// Resources found by their `socform:*` tags that state does not know (a crash between
    /// create and save): planned as existing, so they are adopted rather than made twice.
    pub untracked: BTreeMap<Address, LiveResource>,
    /// Resources whose tags prove this state made them for an address that already has
    /// another: a create that took effect twice (its answer was lost and it was retried).
    /// Planned for deletion.
    pub duplicates: Vec<(Address, LiveResource)>,
    /// Account-level singletons ([`Kind::one_per_account`]) the account has that this state
    /// did not make: what a blueprint that allows it uses instead of making its own.
    ///
    /// [`Kind::one_per_account`]: crate::model::Kind::one_per_account
    pub existing: BTreeMap<crate::model::Kind, LiveResource>,
    /// [`Self::existing`] of each named account of the blueprint's `accounts:`.
    pub existing_elsewhere: BTreeMap<String, BTreeMap<crate::model::Kind, LiveResource>>,
    /// What the blueprint's lookups found (`Model::lookups`).
    pub looked_up: BTreeMap<Address, LiveResource>,
    /// The ids of the named accounts of the blueprint's `accounts:`.
    pub accounts: BTreeMap<String, String>,
    /// The caller's AWS organization, read when the blueprint uses `${aws.organization_id}`.
    pub organization_id: Option<String>,
}

impl Snapshot {
    /// The singleton of `kind` that `account` (a named account, or the caller's for `None`)
    /// has and this state did not make.
    pub fn existing_in(&self, account: Option<&str>, kind: crate::model::Kind) -> Option<&LiveResource> {
        match account {
            None => self.existing.get(&kind),
            Some(a) => self.existing_elsewhere.get(a)?.get(&kind),
        }
    }
}

/// Where a run writes state after each step (the executor saves through it).
#[async_trait::async_trait]
pub trait StateSink: Send + Sync {
    async fn save(&self, state: &mut State) -> Result<(), StateError>;
}

#[async_trait::async_trait]
impl StateSink for LocalState {
    async fn save(&self, state: &mut State) -> Result<(), StateError> {
        LocalState::save(self, state)
    }
}

/// Keeps state in memory only (tests, dry runs).
#[derive(Default)]
pub struct MemorySink {
    pub saves: Mutex<Vec<State>>,
}

#[async_trait::async_trait]
impl StateSink for MemorySink {
    async fn save(&self, state: &mut State) -> Result<(), StateError> {
        state.serial += 1;
        self.saves.lock().unwrap().push(state.clone());
        Ok(())
    }
}

/// Where state lives: a local file ([`LocalState`]) or an S3 object (the AWS provider's
/// `S3State`, for teams). Every backend writes atomically, keeps the previous version, and
/// takes an exclusive lock that names its holder.
#[async_trait::async_trait]
pub trait StateBackend: StateSink {
    /// Where the state is, for messages.
    fn location(&self) -> String;
    async fn fetch(&self) -> Result<Option<State>, StateError>;
    /// Takes the lock for `operation`, or says who holds it.
    async fn acquire(&self, operation: &str) -> Result<Acquired, StateError>;
    /// Gives back a lock this run took (only if it is still the holder).
    async fn release(&self, lock: &LockInfo) -> Result<(), StateError>;
    /// Breaks a lock left behind, if `id` is its id.
    async fn break_lock(&self, id: &str) -> Result<LockInfo, StateError>;
    /// Gives back a lock at once, without async I/O, when the process is about to end on a
    /// second Ctrl-C. Best effort: a backend that cannot do it leaves the lock for
    /// `state unlock` (or, locally, for the next run, which breaks a dead holder's lock).
    fn release_now(&self, _lock: &LockInfo) {}
    /// API calls made so far by service, for `-v` (none for a local file).
    fn call_counts(&self) -> std::collections::BTreeMap<String, u64> {
        Default::default()
    }
}

#[async_trait::async_trait]
impl StateBackend for LocalState {
    fn location(&self) -> String {
        self.path.display().to_string()
    }

    async fn fetch(&self) -> Result<Option<State>, StateError> {
        self.load()
    }

    async fn acquire(&self, operation: &str) -> Result<Acquired, StateError> {
        self.lock(operation)
    }

    async fn release(&self, lock: &LockInfo) -> Result<(), StateError> {
        self.unlock(lock)
    }

    async fn break_lock(&self, id: &str) -> Result<LockInfo, StateError> {
        self.force_unlock(id)
    }

    fn release_now(&self, lock: &LockInfo) {
        if self.lock_holder().is_some_and(|h| h.id == lock.id) {
            let _ = fs::remove_file(self.lock_path());
        }
    }
}

trait PrivateMode {
    fn mode_private(&mut self) -> &mut Self;
}

impl PrivateMode for OpenOptions {
    fn mode_private(&mut self) -> &mut Self {
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            self.mode(0o600);
        }
        self
    }
}

fn open_private(path: &Path, truncate: bool) -> std::io::Result<File> {
    let f = OpenOptions::new().write(true).create(true).truncate(truncate).mode_private().open(path)?;
    set_private(path)?;
    Ok(f)
}

fn set_private(path: &Path) -> std::io::Result<()> {
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        fs::set_permissions(path, fs::Permissions::from_mode(0o600))?;
    }
    Ok(())
}

/// Writes any file atomically with mode 0600 (saved plans use this too).
pub fn write_private_atomic(path: &Path, contents: &[u8]) -> std::io::Result<()> {
    let dir = path.parent().filter(|p| !p.as_os_str().is_empty()).unwrap_or(Path::new("."));
    fs::create_dir_all(dir)?;
    let mut name = path.file_name().unwrap_or_default().to_os_string();
    name.push(format!(".tmp.{}", std::process::id()));
    let tmp = path.with_file_name(name);
    {
        let mut f = open_private(&tmp, true)?;
        f.write_all(contents)?;
        f.sync_all()?;
    }
    fs::rename(&tmp, path)?;
    if let Ok(d) = File::open(dir) {
        let _ = d.sync_all();
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::os::unix::fs::PermissionsExt;

    fn record(id: &str) -> Record {
        Record {
            kind: Kind::Vpc,
            id: id.into(),
            attributes: Attrs::new(),
            outputs: BTreeMap::new(),
            dependencies: vec![],
        }
    }

    #[test]
    fn save_is_atomic_private_and_keeps_a_backup() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalState::new(dir.path().join("lab.json"));
        assert_eq!(store.load().unwrap(), None);
        let mut s = State::new("lab", "us-east-1");
        s.resources.insert(Address::parse("vpc.main").unwrap(), record("vpc-1"));
        store.save(&mut s).unwrap();
        assert_eq!(s.serial, 1);
        s.resources.insert(Address::parse("vpc.main").unwrap(), record("vpc-2"));
        store.save(&mut s).unwrap();

        let loaded = store.load().unwrap().unwrap();
        assert_eq!(loaded, s);
        let backup: State = serde_json::from_str(&fs::read_to_string(store.backup_path()).unwrap()).unwrap();
        assert_eq!(backup.serial, 1);
        assert_eq!(backup.resources[&Address::parse("vpc.main").unwrap()].id, "vpc-1");
        for p in [store.path().to_path_buf(), store.backup_path()] {
            assert_eq!(fs::metadata(&p).unwrap().permissions().mode() & 0o777, 0o600, "{}", p.display());
        }
        let leftovers: Vec<_> = fs::read_dir(dir.path())
            .unwrap()
            .map(|e| e.unwrap().file_name())
            .filter(|n| n.to_string_lossy().contains(".tmp."))
            .collect();
        assert!(leftovers.is_empty(), "temporary files left: {leftovers:?}");
    }

    #[test]
    fn a_second_lock_is_refused_with_the_holder_named() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalState::new(dir.path().join("lab.json"));
        let held = store.lock("apply").unwrap();
        let err = store.lock("destroy").unwrap_err();
        let msg = err.to_string();
        assert!(msg.contains("locked by `apply`"), "{msg}");
        assert!(msg.contains(&held.lock.id), "{msg}");
        assert!(msg.contains(&format!("pid {}", std::process::id())), "{msg}");
        store.unlock(&held.lock).unwrap();
        store.lock("destroy").expect("the lock is free once released");
    }

    #[test]
    fn without_proc_no_holder_is_called_gone() {
        // A holder on this host whose pid no process has: gone where `/proc` can say so,
        // never where there is no `/proc` to ask (it used to read as gone, and a live run's
        // lock would have been broken on macOS).
        let mut holder = LockInfo::new("apply");
        holder.pid = u32::MAX - 7;
        holder.boot_id = None;
        let none = tempfile::tempdir().unwrap();
        assert!(!holder.holder_is_gone_in(none.path()));
        let procfs = tempfile::tempdir().unwrap();
        std::fs::create_dir(procfs.path().join("self")).unwrap();
        assert!(holder.holder_is_gone_in(procfs.path()));
        std::fs::create_dir(procfs.path().join((u32::MAX - 7).to_string())).unwrap();
        assert!(!holder.holder_is_gone_in(procfs.path()), "a process with its pid and no start time: not proven gone");
    }

    #[test]
    fn a_stale_lock_is_broken_only_with_its_id() {
        let dir = tempfile::tempdir().unwrap();
        let store = LocalState::new(dir.path().join("lab.json"));
        // A crashed run leaves its lock behind (it never unlocks).
        let id = store.lock("apply").unwrap().lock.id;
        assert!(matches!(store.force_unlock("wrong"), Err(StateError::WrongLockId { .. })));
        assert!(store.lock("apply").is_err());
        let holder = store.force_unlock(&id).unwrap();
        assert_eq!(holder.operation, "apply");
        store.lock("apply").expect("lock is free after unlock");
    }

    #[test]
    fn newer_state_formats_are_refused() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("lab.json");
        fs::write(&path, r#"{"format_version": 99}"#).unwrap();
        let err = LocalState::new(&path).load().unwrap_err();
        assert!(err.to_string().contains("upgrade socform"), "{err}");
    }
}
