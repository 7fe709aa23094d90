//! What a run shows while it works: the `Ui` (colours, quiet, verbose, JSON events) and the
//! progress display the executor's events drive.

use super::*;

/// How output looks.
pub(super) struct Ui {
    pub color_out: bool,
    pub color_err: bool,
    pub quiet: bool,
    pub verbose: u8,
    /// apply/destroy `--json`: events as JSON lines on stdout.
    pub json: bool,
    /// The blueprint inputs given on the command line (`--var`, `--var-file`).
    pub inputs: blueprint::inputs::Supplied,
}

impl Ui {
    pub(super) fn new(g: &Global) -> Self {
        let no_color = g.no_color || std::env::var_os("NO_COLOR").is_some_and(|v| !v.is_empty());
        Self {
            color_out: !no_color && std::io::stdout().is_terminal(),
            color_err: !no_color && std::io::stderr().is_terminal(),
            quiet: g.quiet,
            verbose: g.verbose,
            json: false,
            inputs: Default::default(),
        }
    }

    pub(super) fn with_json(&self, json: bool) -> Ui {
        Ui {
            color_out: self.color_out,
            color_err: self.color_err,
            quiet: self.quiet,
            verbose: self.verbose,
            json,
            inputs: self.inputs.clone(),
        }
    }

    /// One JSON event line on stdout (`--json`).
    pub(super) fn event(&self, e: super::events::JsonEvent) {
        if self.json {
            outln!("{e}");
        }
    }

    pub(super) fn error(&self, msg: &str) {
        use owo_colors::OwoColorize;
        if self.color_err {
            errln!("{} {msg}", "error:".red().bold());
        } else {
            errln!("error: {msg}");
        }
    }

    /// A warning: printed even with --quiet.
    pub(super) fn warn(&self, msg: &str) {
        use owo_colors::OwoColorize;
        if self.color_err {
            errln!("{} {msg}", "warning:".yellow().bold());
        } else {
            errln!("warning: {msg}");
        }
    }

    pub(super) fn note(&self, msg: &str) {
        if !self.quiet {
            errln!("{msg}");
        }
    }

    /// A spinner saying what a slow read is doing, on a terminal only (logs get no ticks);
    /// it goes when dropped.
    pub(super) fn spinner(&self, msg: String) -> Option<indicatif::ProgressBar> {
        (std::io::stderr().is_terminal() && !self.quiet && !self.json).then(|| {
            let b = indicatif::ProgressBar::new_spinner();
            b.set_style(
                indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {msg}")
                    .expect("static template"),
            );
            b.set_message(msg);
            b.enable_steady_tick(Duration::from_millis(120));
            b
        })
    }

    pub(super) fn diagnostics(&self, diags: &[Diagnostic]) {
        for d in diags {
            err!("{}", d.render(self.color_err));
        }
        let n = diags.len();
        errln!("{n} problem{} found", if n == 1 { "" } else { "s" });
    }
}

/// Progress: bars on a terminal, plain lines otherwise.
pub(super) struct Progress {
    bar: Option<indicatif::ProgressBar>,
    quiet: bool,
    json: bool,
}

impl Progress {
    pub(super) fn new(ui: &Ui) -> Self {
        let bar = (std::io::stderr().is_terminal() && !ui.quiet && !ui.json).then(|| {
            let b = indicatif::ProgressBar::new(0);
            b.set_style(
                indicatif::ProgressStyle::with_template("{spinner} [{elapsed_precise}] {bar:30} {pos}/{len} {msg}")
                    .expect("static template"),
            );
            b.enable_steady_tick(Duration::from_millis(120));
            b
        });
        Self { bar, quiet: ui.quiet, json: ui.json }
    }

    pub(super) fn line(&self, s: String) {
        match &self.bar {
            Some(b) => b.println(s),
            None if !self.quiet => errln!("{s}"),
            None => {}
        }
    }

    /// Failures are printed even with --quiet: they are what the user must act on.
    pub(super) fn problem(&self, s: String) {
        match &self.bar {
            Some(b) => b.println(s),
            None => errln!("{s}"),
        }
    }

    pub(super) fn event(&self, e: Event) {
        if self.json {
            if let Some(line) = super::events::JsonEvent::of(&e) {
                outln!("{line}");
            }
            return;
        }
        match e {
            Event::Begin { total } => {
                if let Some(b) = &self.bar {
                    b.set_length(total as u64);
                }
            }
            Event::Started { address, op } => {
                if let Some(b) = &self.bar {
                    b.set_message(format!("{} {address}", op.doing()));
                } else {
                    self.line(format!("{address}: {}...", op.doing()));
                }
            }
            Event::Finished { address, op, elapsed } => {
                if let Some(b) = &self.bar {
                    b.inc(1);
                }
                let done = match op {
                    Op::Create => "created",
                    Op::Update => "updated",
                    Op::Delete => "deleted",
                    Op::Adopt => "adopted",
                };
                self.line(format!("{address}: {done} ({:.1}s)", elapsed.as_secs_f64()));
            }
            Event::Failed { address, op, error, taken } => {
                if let Some(b) = &self.bar {
                    b.inc(1);
                }
                // A taken name is said once, at the end, at the blueprint's line.
                if taken {
                    self.problem(format!("{address}: {} failed: its name is taken (below)", op.as_str()));
                } else {
                    self.problem(format!("{address}: {} failed: {error}", op.as_str()));
                }
            }
            Event::Skipped { address, op, because } => {
                if let Some(b) = &self.bar {
                    b.inc(1);
                }
                self.problem(format!("{address}: {} skipped because {because} failed", op.as_str()));
            }
            Event::Saved { .. } => {}
        }
    }

    pub(super) fn finish(&self) {
        if let Some(b) = &self.bar {
            b.finish_and_clear();
        }
    }
}
