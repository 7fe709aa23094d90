//! `socform import-sigma`: Sigma rule files and folders read, converted, reported.

use super::*;

/// The Sigma rule files named: files as given, folders searched for `*.yml` and `*.yaml`.
pub(super) fn sigma_files(paths: &[PathBuf]) -> Result<Vec<PathBuf>> {
    let mut files = vec![];
    for p in paths {
        let meta = std::fs::metadata(p).with_context(|| format!("reading {}", p.display()))?;
        if meta.is_dir() {
            let mut stack = vec![p.clone()];
            while let Some(dir) = stack.pop() {
                for entry in std::fs::read_dir(&dir).with_context(|| format!("reading {}", dir.display()))? {
                    let path = entry?.path();
                    let ft = std::fs::symlink_metadata(&path)?.file_type();
                    if ft.is_dir() {
                        stack.push(path);
                    } else if ft.is_file() && path.extension().is_some_and(|e| e == "yml" || e == "yaml") {
                        files.push(path);
                    }
                }
            }
        } else if meta.is_file() {
            files.push(p.clone());
        } else {
            bail!("{} is neither a file nor a folder", p.display());
        }
    }
    files.sort();
    files.dedup();
    Ok(files)
}

pub(super) fn import_sigma(
    paths: &[PathBuf],
    out: Option<&Path>,
    notify: &[String],
    format: SigmaFormat,
    ui: &Ui,
) -> Result<u8> {
    use crate::detect::sigma;
    const MAX: u64 = 256 * 1024;
    let mut converted: Vec<sigma::Converted> = vec![];
    let mut refused = vec![];
    let mut names = std::collections::BTreeSet::new();
    for file in sigma_files(paths)? {
        let shown = file.display().to_string();
        let mut text = String::new();
        use std::io::Read;
        std::fs::File::open(&file)
            .and_then(|f| f.take(MAX + 1).read_to_string(&mut text))
            .with_context(|| format!("reading {shown}"))?;
        let result = if text.len() as u64 > MAX {
            Err(format!("larger than {} KiB", MAX / 1024))
        } else {
            sigma::convert(&text)
        };
        match result {
            Ok(mut c) => {
                if !names.insert(c.name.clone()) {
                    c.name = format!("{}-{}", c.name, c.id.chars().take(8).collect::<String>());
                    names.insert(c.name.clone());
                }
                converted.push(c);
            }
            Err(reason) => {
                let h = sigma::header(&text);
                refused.push(serde_json::json!({"file": shown, "id": h.id, "title": h.title, "reason": reason}));
            }
        }
    }
    let total = converted.len() + refused.len();
    match format {
        SigmaFormat::Json => {
            let report = serde_json::json!({
                "format_version": "1",
                "converted": converted,
                "refused": refused,
            });
            let json = format!("{}\n", serde_json::to_string_pretty(&report)?);
            match out {
                Some(path) => std::fs::write(path, json).with_context(|| format!("writing {}", path.display()))?,
                None => out!("{json}"),
            }
        }
        SigmaFormat::Yaml => {
            let yaml = sigma::to_yaml(&converted, notify);
            match out {
                Some(path) => std::fs::write(path, yaml).with_context(|| format!("writing {}", path.display()))?,
                None => out!("{yaml}"),
            }
            for r in &refused {
                ui.warn(&format!(
                    "refused {} ({}): {}",
                    r["file"].as_str().unwrap_or_default(),
                    r["title"].as_str().unwrap_or_default(),
                    r["reason"].as_str().unwrap_or_default()
                ));
            }
        }
    }
    ui.note(&format!("{} of {total} rule(s) converted, {} refused", converted.len(), refused.len()));
    Ok(if converted.is_empty() { 1 } else { 0 })
}
