//! Where state lives and who holds it: the backend a run uses (`--state FILE`, `s3://`, the
//! default `state/BLUEPRINT.json`), its lock, and the checks that state belongs here.

use super::*;

/// The blueprint file this run read: its project's `state/` folder is found from there, so
/// that a command run from another directory finds the same state.
static BLUEPRINT_AT: std::sync::Mutex<Option<PathBuf>> = std::sync::Mutex::new(None);

pub(super) fn remember_blueprint(path: &Path) {
    if let Ok(mut b) = BLUEPRINT_AT.lock() {
        b.get_or_insert_with(|| path.to_path_buf());
    }
}

/// The `state/` folder of the blueprint's project: from the blueprint's folder upwards, the
/// first folder that holds a `state/` folder, stopping at the repository's root (the folder
/// with `.git`). Without one, `state/` of the current directory, where the first apply
/// makes it.
pub(super) fn state_dir() -> PathBuf {
    let blueprint = BLUEPRINT_AT.lock().ok().and_then(|b| b.clone());
    let start = blueprint.and_then(|p| std::fs::canonicalize(p).ok()).and_then(|p| p.parent().map(Path::to_path_buf));
    for dir in start.iter().flat_map(|d| d.ancestors()) {
        let state = dir.join("state");
        if state.is_dir() {
            return relative_to_cwd(state);
        }
        if dir.join(".git").exists() {
            break;
        }
    }
    PathBuf::from("state")
}

/// `path` as the user would type it from here: relative when it is under the current
/// directory (messages stay short), absolute otherwise.
fn relative_to_cwd(path: PathBuf) -> PathBuf {
    std::env::current_dir()
        .ok()
        .and_then(|cwd| std::fs::canonicalize(cwd).ok())
        .and_then(|cwd| path.strip_prefix(&cwd).ok().map(Path::to_path_buf))
        .unwrap_or(path)
}

pub(super) fn state_path(g: &Global, blueprint_name: &str) -> PathBuf {
    g.state.clone().unwrap_or_else(|| state_dir().join(format!("{blueprint_name}.json")))
}

/// Where state lives: `--state s3://BUCKET/KEY` (team state), `--state FILE`, or
/// `state/BLUEPRINT.json`.
pub(super) type Store = Arc<dyn StateBackend>;

pub(super) fn open_store(g: &Global, blueprint_name: &str, region: &str) -> Result<Store> {
    let path = state_path(g, blueprint_name);
    let text = path.to_string_lossy().to_string();
    if text.starts_with("s3://") {
        let opts = aws_options(g, region);
        let s = runtime()?.block_on(crate::provider::aws::s3state::S3State::new(&text, &opts))?;
        return Ok(Arc::new(s));
    }
    Ok(Arc::new(LocalState::new(path)))
}

pub(super) fn fetch_state(store: &Store, blueprint: &str, region: &str) -> Result<State> {
    Ok(runtime()?.block_on(store.fetch())?.unwrap_or_else(|| State::new(blueprint, region)))
}

/// A lock this run holds; given back when dropped.
pub(super) struct Held {
    store: Store,
    info: LockInfo,
}

impl Drop for Held {
    fn drop(&mut self) {
        if let Ok(mut f) = ON_ABORT.lock() {
            *f = None;
        }
        if let Ok(rt) = runtime() {
            let _ = rt.block_on(self.store.release(&self.info));
        }
    }
}

pub(super) fn hold(store: &Store, operation: &str, ui: &Ui) -> Result<Held> {
    let acquired = runtime()?.block_on(store.acquire(operation)).map_err(lock_error)?;
    if let Some(dead) = &acquired.broke {
        ui.warn(&format!("broke the lock of {dead}: that process is no longer running on this host"));
    }
    let info = acquired.lock;
    set_abort_cleanup(store, &info);
    Ok(Held { store: store.clone(), info })
}

pub(super) fn lock_error(e: crate::state::StateError) -> anyhow::Error {
    match &e {
        crate::state::StateError::Locked { holder, .. } => {
            let hint = if holder.id == crate::state::LockInfo::unknown().id {
                "the lock names no holder (empty or damaged: a run killed as it wrote it?); if no other socform is at work, break it with `socform state unlock unknown`".to_string()
            } else if holder.holder_is_gone() {
                format!("the holder (pid {}) is no longer running: if no other socform is at work, break the lock with `socform state unlock {}`", holder.pid, holder.id)
            } else {
                format!("wait for it to finish; if it died, break the lock with `socform state unlock {}`", holder.id)
            };
            anyhow!("{e}\n  {hint}")
        }
        _ => e.into(),
    }
}

/// The state a command about state reads: the named blueprint's, `--state`, or the only
/// file in `state/`.
pub(super) fn pick_store(g: &Global, blueprint: Option<PathBuf>) -> Result<Store> {
    if let Some(b) = blueprint {
        remember_blueprint(&b);
        let (name, region) = blueprint::header(&b)
            .map_err(|d| anyhow!("{}", d.first().map(|d| d.message.clone()).unwrap_or_default()))?;
        let name = match &g.lab {
            Some(lab) => format!("{name}-{lab}"),
            None => name,
        };
        return open_store(g, &name, &region);
    }
    if g.state.is_some() {
        return open_store(g, "", g.region.as_deref().unwrap_or("us-east-1"));
    }
    let files: Vec<PathBuf> = std::fs::read_dir("state")
        .map(|rd| {
            rd.filter_map(|e| e.ok().map(|e| e.path())).filter(|p| p.extension().is_some_and(|x| x == "json")).collect()
        })
        .unwrap_or_default();
    match files.as_slice() {
        [one] => Ok(Arc::new(LocalState::new(one))),
        [] => bail!("no state found: name a blueprint or pass --state FILE"),
        many => bail!(
            "several state files in state/ ({}): name a blueprint or pass --state FILE",
            many.iter().map(|p| p.display().to_string()).collect::<Vec<_>>().join(", ")
        ),
    }
}

pub(super) fn set_abort_cleanup(store: &Store, info: &LockInfo) {
    let (store, info) = (store.clone(), info.clone());
    if let Ok(mut f) = ON_ABORT.lock() {
        *f = Some(Box::new(move || store.release_now(&info)));
    }
}

/// Refuses state that belongs elsewhere: another blueprint, another lab (`--lab prod` of
/// blueprint `soc` and blueprint `soc-prod` share a name, never a state), or another region
/// (its resources would be left running and untracked there).
pub(super) fn pin_state(state: &State, blueprint: &str, lab: Option<&str>, region: &str) -> Result<()> {
    if state.serial == 0 {
        return Ok(());
    }
    // An emptied state (destroyed) holds nothing to protect: the next apply takes it over.
    let empty = state.resources.is_empty() && state.pending.is_empty();
    if state.lab_name() != lab && !empty {
        let what = |l: Option<&str>| match l {
            Some(l) => format!("lab `{l}` (`--lab {l}`)"),
            None => "no lab (made without --lab)".to_string(),
        };
        bail!(
            "state `{}` is {}, and this run is {}: a lab's name is its blueprint's name and the lab's joined by `-`, which another blueprint may also be called; nothing was read or changed. Use the same --lab as the apply that made it, or another --state",
            state.blueprint,
            what(state.lab_name()),
            what(lab)
        );
    }
    if state.blueprint != blueprint {
        bail!(
            "this state belongs to blueprint `{}`, not `{blueprint}`: nothing was read or changed; point --state at `{blueprint}`'s own state",
            state.blueprint
        );
    }
    if state.region != region {
        bail!(
            "this state records resources in region {}, and the blueprint now says {region}: nothing was read or changed; destroy in {} first (put the region back), or use another --state for {region}",
            state.region,
            state.region
        );
    }
    Ok(())
}
