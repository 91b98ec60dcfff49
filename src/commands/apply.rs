//! `ddhooks apply`: make exactly the planned changes.

use super::pipeline;
use super::plan::{SavedPlan, SAVED_PLAN_KIND};
use super::session::{self, ConnectArgs, Planned, Session};
use crate::apply::{Applier, ApplyReport, Lock, LockError, LockOptions, Outcome};
use crate::manifest::Origins;
use crate::output::{Exit, Printer};
use crate::plan::{Plan, PlanOptions};
use crate::render::{self, PlanView};
use clap::Args;
use std::io::{BufRead, IsTerminal, Write};
use std::path::PathBuf;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::time::Duration;
use tokio::sync::Notify;

/// Flags of `ddhooks apply`.
#[derive(Debug, Args)]
pub struct ApplyArgs {
    /// The manifests directory (needed with --plan too: secret values are never saved in
    /// plan files, so they are read again from the manifests' ${env:…}).
    #[arg(default_value = "manifests")]
    pub dir: PathBuf,

    /// Apply this saved plan (from `plan --out`); refused as a whole if anything it read
    /// has changed since, or if the manifests no longer produce it.
    #[arg(long)]
    pub plan: Option<PathBuf>,

    /// Apply without asking (required when stdin is not a terminal, unless --plan is given).
    #[arg(long)]
    pub auto_approve: bool,

    /// Delete owned webhooks even when monitors still mention them outside managed blocks.
    #[arg(long)]
    pub force: bool,

    /// No colours (also when NO_COLOR is set or stdout is not a terminal).
    #[arg(long)]
    pub no_color: bool,

    /// Tests only: re-read the monitors before writing one when their last read is older
    /// than this many milliseconds (default 5,000), so a test decides whether an apply
    /// lists them again instead of timing it.
    #[arg(long, hide = true, value_name = "MS")]
    pub monitor_read_max_age_ms: Option<u64>,

    /// Tests only: how long the apply lock settles between being written and read back
    /// (default 500 ms, for a store that could lose one of two overlapping writes). The
    /// sandbox loses none, so the test kit sets 0 for every run through the environment
    /// and each apply stops costing half a second of waiting.
    #[arg(long, hide = true, value_name = "MS", env = "DDHOOKS_LOCK_SETTLE_MS")]
    pub lock_settle_ms: Option<u64>,

    #[command(flatten)]
    pub connect: ConnectArgs,
}

/// Plans (or reads the saved plan), asks when appropriate, applies, reports.
pub fn run(args: ApplyArgs, printer: Printer) -> anyhow::Result<Exit> {
    let saved = match &args.plan {
        Some(path) => Some(SavedPlan::read(path)?),
        None => None,
    };
    let interactive = std::io::stdin().is_terminal();
    if saved.is_none() && !args.auto_approve && !interactive {
        anyhow::bail!("stdin is not a terminal, so apply cannot ask for confirmation; pass --auto-approve, or apply a reviewed plan with --plan FILE");
    }
    let loaded = session::load(&args.dir, &args.connect, printer)?;
    let color = session::use_color(args.no_color);
    let stop = Arc::new(AtomicBool::new(false));
    let runtime = session::runtime()?;
    let result = runtime.block_on(async {
        watch_signals(stop.clone());
        let session = Session::open(&args.connect, printer).await?;
        let mut saved = saved;
        if saved.is_none() && !args.auto_approve {
            // Ask before taking the lock (a prompt may stay open for long); what is approved
            // is then applied like a saved plan: refused if anything moved meanwhile.
            let planned = session
                .plan(&loaded, &PlanOptions { force: args.force }, None)
                .await?;
            if planned.plan.has_changes() {
                session.pause_progress();
                print!("{}", render::render_text(&planned.plan, color));
                let approved = confirm(&stop).await?;
                session.resume_progress();
                if !approved {
                    println!("Apply cancelled; nothing was changed.");
                    return Ok(Exit::Failure);
                }
                saved = Some(SavedPlan {
                    kind: SAVED_PLAN_KIND.into(),
                    plan: render::PlanView::of(&planned.plan),
                    force: args.force,
                    registry_salt: planned.registry.salt().to_string(),
                    target: None,
                    outline: None,
                });
            }
        }
        // One apply at a time per org: the lock is written before the remote state is read,
        // so that the plan and the registry this apply writes back are not stale. Reading
        // goes on while the lock settles; nothing is written before it is confirmed.
        let mut lock_options = LockOptions::default();
        if let Some(ms) = args.lock_settle_ms {
            lock_options.settle = std::time::Duration::from_millis(ms);
        }
        let claim = match Lock::claim(&session.client, lock_options).await {
            Ok(claim) => claim,
            Err(e @ LockError::Held(_)) => return Ok(refused(&e)),
            Err(e) => return Err(e.into()),
        };
        let force = saved.as_ref().map_or(args.force, |s| s.force);
        let salt = saved.as_ref().map(|s| s.registry_salt.clone());
        let options = PlanOptions { force };
        let (planned, confirmed) = tokio::join!(
            session.plan(&loaded, &options, salt.as_deref()),
            claim.confirm()
        );
        let lock = match confirmed {
            Ok(lock) => lock,
            Err(e @ LockError::Held(_)) => return Ok(refused(&e)),
            Err(e) => return Err(e.into()),
        };
        let done = Notify::new();
        let work = async {
            let result = match planned {
                Ok(planned) => {
                    let context = LockedRun {
                        session: &session,
                        origins: &loaded.origins,
                        stop: stop.clone(),
                        color,
                        printer,
                        read_max_age: args
                            .monitor_read_max_age_ms
                            .map_or(crate::apply::MONITOR_READ_MAX_AGE, Duration::from_millis),
                    };
                    locked(saved, planned, context).await
                }
                Err(e) => Err(e),
            };
            done.notify_one();
            result
        };
        let (result, lost) = tokio::join!(work, lock.keep_alive(&done, &stop));
        if let Err(e) = lock.release().await {
            eprintln!("warning: releasing the apply lock failed: {e}; it expires by itself");
        }
        let code = result?;
        if let Some(why) = lost {
            println!("{why}");
            return Ok(Exit::Failure);
        }
        Ok(code)
    });
    // A prompt cancelled by a signal leaves a thread blocked on stdin: do not wait for it.
    runtime.shutdown_timeout(std::time::Duration::from_millis(100));
    result
}

/// What the locked part of apply works with, besides the plans.
struct LockedRun<'a> {
    session: &'a Session,
    /// Where the manifests declared each object (annotations point there).
    origins: &'a Origins,
    stop: Arc<AtomicBool>,
    color: bool,
    /// What `-q` asked of the report.
    printer: Printer,
    /// How old the monitors' last read may be when one is written.
    read_max_age: Duration,
}

/// Everything apply does once it holds the lock, with the plan made under it.
async fn locked(
    saved: Option<SavedPlan>,
    planned: Planned,
    context: LockedRun<'_>,
) -> anyhow::Result<Exit> {
    let LockedRun {
        session,
        origins,
        stop,
        color,
        printer,
        read_max_age,
    } = context;
    let Planned {
        plan,
        registry,
        mut store,
        read_at,
        monitor_listing,
        remote: _,
        unknown_handles: _,
    } = planned;
    let plan = match saved {
        Some(saved) => {
            let drift = differing_changes(&saved.plan, &plan);
            if !drift.is_empty() {
                let list: Vec<String> = drift.iter().map(ToString::to_string).collect();
                pipeline::annotate_error(
                    "ddhooks apply: the plan is stale",
                    &format!("nothing was applied; these changed since the plan was made: {}; plan again and review the new plan", list.join(", ")),
                );
                println!("The plan is stale; nothing was applied. These changed since it was made or approved:");
                for address in &drift {
                    println!("  {address}");
                }
                println!("Plan again and review the new plan.");
                return Ok(Exit::Failure);
            }
            // Nothing differs: the fresh plan is the reviewed one (and holds the secret
            // values from the manifests, which a saved plan never does).
            plan
        }
        None => plan,
    };
    pipeline::annotate(&crate::annotate::from_plan(&plan, origins));
    if !plan.has_changes() {
        if store.dirty {
            // Pending entries of an interrupted run were resolved on reading: record that.
            store.save(&session.client, &registry).await?;
        }
        session.pause_progress();
        print!("{}", render::render_text(&plan, color));
        let code = if plan.problems.is_empty() {
            Exit::Success
        } else {
            Exit::Failure
        };
        return Ok(code);
    }
    let applier = Applier {
        client: &session.client,
        state: store,
        registry,
        concurrency: session.concurrency,
        read_at,
        monitor_listing,
        stop,
        read_max_age,
    };
    let report = applier.apply(&plan).await;
    session.pause_progress();
    print_report(&plan, &report, printer.quiet);
    let code = if report.complete() && plan.problems.is_empty() {
        Exit::Success
    } else {
        Exit::Failure
    };
    Ok(code)
}

/// Another apply holds the lock: this one is refused (said on stdout and annotated for CI).
fn refused(held: &LockError) -> Exit {
    pipeline::annotate_error("ddhooks apply refused", &held.to_string());
    println!("Apply refused: {held}");
    Exit::Failure
}

/// Addresses where a freshly computed plan differs from the saved one: changes added,
/// removed or different, and remote objects read with another fingerprint.
fn differing_changes(saved: &PlanView, fresh: &Plan) -> Vec<String> {
    use std::collections::{BTreeMap, BTreeSet};
    fn by_address(plan: &PlanView) -> BTreeMap<&str, &render::json::ChangeView> {
        plan.changes
            .iter()
            .map(|c| (c.address.as_str(), c))
            .collect()
    }
    let fresh = PlanView::of(fresh);
    let (old, new) = (by_address(saved), by_address(&fresh));
    let mut out = BTreeSet::new();
    for (address, change) in &old {
        if new.get(address) != Some(change) {
            out.insert(address.to_string());
        }
    }
    out.extend(
        new.keys()
            .filter(|a| !old.contains_key(*a))
            .map(|a| a.to_string()),
    );
    for (address, fp) in &saved.reads {
        if fresh.reads.get(address).is_some_and(|now| now != fp) {
            out.insert(address.clone());
        }
    }
    out.into_iter().collect()
}

/// Asks on the terminal; only `yes` approves. A signal while waiting cancels.
async fn confirm(stop: &AtomicBool) -> anyhow::Result<bool> {
    print!("\nDo you want to apply these changes? Only 'yes' is accepted: ");
    std::io::stdout().flush()?;
    let read = tokio::task::spawn_blocking(|| {
        let mut answer = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut answer)
            .map(|_| answer)
    });
    let stopped = async {
        while !stop.load(Ordering::SeqCst) {
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
    };
    tokio::select! {
        answer = read => Ok(answer??.trim() == "yes"),
        () = stopped => {
            println!();
            Ok(false)
        }
    }
}

/// On SIGINT or SIGTERM: let the write in flight finish, start nothing new.
fn watch_signals(stop: Arc<AtomicBool>) {
    let on_signal = move |name: &'static str| {
        let stop = stop.clone();
        move || {
            if !stop.swap(true, Ordering::SeqCst) {
                eprintln!("\n{name} received: finishing the write in flight, then stopping…");
            }
        }
    };
    let int = on_signal("SIGINT");
    tokio::spawn(async move {
        if tokio::signal::ctrl_c().await.is_ok() {
            int();
        }
    });
    #[cfg(unix)]
    {
        let term = on_signal("SIGTERM");
        tokio::spawn(async move {
            use tokio::signal::unix::{signal, SignalKind};
            if let Ok(mut s) = signal(SignalKind::terminate()) {
                if s.recv().await.is_some() {
                    term();
                }
            }
        });
    }
}

/// Prints each outcome, what was skipped and the final line; with `-q`, only what did not
/// succeed and the final line.
fn print_report(plan: &Plan, report: &ApplyReport, quiet: bool) {
    // Buffered: a line-buffered stdout makes a system call per outcome, and an apply from
    // scratch in a large org reports thousands (3,000 lines: about 20 ms before the lock
    // is released).
    let mut out = std::io::BufWriter::new(std::io::stdout().lock());
    for (address, action, outcome) in &report.outcomes {
        let line = match outcome {
            Outcome::Done if quiet => continue,
            Outcome::Done => format!("{address}: {} done", action.word()),
            Outcome::Refused(why) => format!("{address}: {} REFUSED: {why}", action.word()),
            Outcome::Failed(why) => format!("{address}: {} FAILED: {why}", action.word()),
            Outcome::NotAttempted => format!("{address}: {} not attempted", action.word()),
        };
        let _ = writeln!(out, "{}", crate::mask::mask_text(&line));
    }
    for problem in &plan.problems {
        let _ = writeln!(out, "{}: skipped: {}", problem.address, problem.message);
    }
    if let Some(e) = &report.registry_error {
        let _ = writeln!(out, "registry: {e}");
    }
    match &report.seeded {
        Ok(0) => {}
        Ok(_) if quiet => {}
        Ok(n) => {
            let _ = writeln!(
                out,
                "seeded {n} check run(s): each newly wired monitor's current state, so its board counts it now"
            );
        }
        Err(e) => {
            let _ = writeln!(
                out,
                "seeding check runs failed: {e}; the configuration is applied; run `ddhooks seed-status` to submit them"
            );
        }
    }
    let d = report.done;
    if report.complete() && !plan.problems.is_empty() {
        let _ = writeln!(
            out,
            "\nApply complete except {} skipped (see above): {} created, {} updated, {} deleted.",
            plan.problems.len(),
            d.create,
            d.update,
            d.delete
        );
    } else if report.complete() {
        let _ = writeln!(
            out,
            "\nApply complete: {} created, {} updated, {} deleted.",
            d.create, d.update, d.delete
        );
    } else {
        let why = if report.interrupted {
            "interrupted"
        } else {
            "stopped before the end"
        };
        let _ = writeln!(
            out,
            "\nApply {why}: {} created, {} updated, {} deleted; the rest is listed above. Re-run `ddhooks apply` to converge.",
            d.create, d.update, d.delete
        );
    }
    let _ = out.flush();
}
