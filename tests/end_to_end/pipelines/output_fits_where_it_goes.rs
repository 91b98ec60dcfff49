//! Output that fits where it goes: `-q` prints only errors and the final line; logs carry
//! colours only on a terminal and never with `NO_COLOR`.

use crate::kit::cli::{self, Run};
use crate::kit::fixtures::{Workspace, SCENARIO};
use crate::kit::pty::run_on_a_terminal;
use crate::kit::sandbox::Sandbox;

const ESC: &str = "\u{1b}[";

fn non_empty_lines(text: &str) -> Vec<&str> {
    text.lines().filter(|l| !l.trim().is_empty()).collect()
}

async fn scenario() -> (Sandbox, Workspace) {
    let sandbox = Sandbox::start(Default::default()).await;
    for i in 0..3 {
        sandbox
            .checkout_monitor(&format!("m{i}"), "people text")
            .await;
    }
    let ws = Workspace::new();
    ws.write("scenario.yaml", SCENARIO);
    (sandbox, ws)
}

/// A quiet run that succeeded: `line` is all it printed, and nothing went to stderr (not
/// even the saved-plan note).
fn assert_quiet_success(run: &Run, line: &str) {
    assert_eq!(run.code, 0, "{}", run.all());
    assert_eq!(non_empty_lines(&run.stdout), [line], "{}", run.all());
    assert_eq!(run.stderr, "", "nothing but the final line: {}", run.all());
}

#[tokio::test]
async fn quiet_prints_only_errors_and_the_final_line() {
    let (sandbox, ws) = scenario().await;
    let plan_file = ws.path("plan.json");
    let out = ["-q", "--out", plan_file.to_str().unwrap()];
    let plan = cli::plan(&sandbox.base, &ws.manifests(), &out).await;
    assert_quiet_success(&plan, "Plan: 6 to create, 0 to update, 0 to delete.");
    assert!(plan_file.exists(), "the plan is still saved");

    let loud = cli::plan(&sandbox.base, &ws.manifests(), &[]).await;
    assert!(non_empty_lines(&loud.stdout).len() > 10, "{}", loud.all());

    let plan_arg = ["--plan", plan_file.to_str().unwrap(), "-q"];
    let apply = cli::apply(&sandbox.base, &ws.manifests(), &plan_arg).await;
    assert_quiet_success(&apply, "Apply complete: 6 created, 0 updated, 0 deleted.");

    // A failure still reaches the user: exit 1 and the error on stderr.
    let mut keyless = cli::command(&["-q", "plan", ws.manifests().to_str().unwrap()]);
    keyless.env_remove("DD_API_KEY");
    let failed = cli::run(keyless).await;
    assert_eq!(failed.code, 1);
    assert!(
        failed.stderr.starts_with("error: ") && failed.stderr.contains("`DD_API_KEY` is not set"),
        "{}",
        failed.all()
    );
}

#[tokio::test]
async fn quiet_validate_hides_warnings_but_not_errors() {
    let ws = Workspace::new();
    ws.write(
        "a.yaml",
        "custom_variables:\n  T: {value: \"${env:DDHOOKS_TEST_SURELY_UNSET}\", secret: true}\n",
    );
    let dir = ws.manifests();
    let loud = cli::ddhooks(&["validate", dir.to_str().unwrap()]).await;
    loud.assert_shows(&[": warning: "]);
    let quiet = cli::ddhooks(&["validate", "-q", dir.to_str().unwrap()]).await;
    assert_eq!(quiet.code, 0);
    assert_eq!(
        non_empty_lines(&quiet.stdout).len(),
        1,
        "only the final line:\n{}",
        quiet.all()
    );
    assert!(quiet.stdout.starts_with("valid: "), "{}", quiet.all());

    ws.write("b.yaml", "webhooks:\n  w:\n    url: ftp://x\n");
    let invalid = cli::ddhooks(&["validate", "-q", dir.to_str().unwrap()]).await;
    assert_eq!(invalid.code, 1);
    let lines = non_empty_lines(&invalid.stdout);
    assert!(
        lines.iter().any(|l| l.contains(": error: ")),
        "{}",
        invalid.all()
    );
    assert!(
        !lines.iter().any(|l| l.contains(": warning: ")),
        "{}",
        invalid.all()
    );

    let both = cli::ddhooks(&["-q", "-v", "validate", dir.to_str().unwrap()]).await;
    assert_eq!(
        both.code,
        2,
        "-q and -v contradict each other: {}",
        both.all()
    );
    both.assert_stderr_shows(&["cannot be used with"]);
}

/// `ddhooks -vv plan` against the sandbox (debug logs: one line per request).
fn debug_plan_args<'a>(sandbox: &'a Sandbox, ws: &'a Workspace) -> Vec<String> {
    vec![
        "-vv".into(),
        "plan".into(),
        ws.manifests().to_str().unwrap().into(),
        "--api-url".into(),
        sandbox.base.clone(),
    ]
}

#[tokio::test]
async fn logs_are_coloured_only_on_a_terminal_and_never_with_no_color() {
    let (sandbox, ws) = scenario().await;
    let args = debug_plan_args(&sandbox, &ws);
    let args: Vec<&str> = args.iter().map(String::as_str).collect();

    let mut piped = cli::command(&args);
    piped.env_remove("NO_COLOR");
    let piped: Run = cli::run(piped).await;
    let terminal = run_on_a_terminal(&args, &[]).await;
    let no_color = run_on_a_terminal(&args, &[("NO_COLOR", "1")]).await;
    for (why, run, coloured) in [
        ("no colour into a pipe", piped, false),
        ("colours on a terminal", terminal, true),
        ("NO_COLOR wins", no_color, false),
    ] {
        assert_eq!(run.code, 0, "{why}: {}", run.all());
        run.assert_stderr_shows(&["DEBUG"]);
        assert_eq!(run.stderr.contains(ESC), coloured, "{why}:\n{}", run.stderr);
    }
}

/// What the spinner's message says once requests complete (`N read, M written · …`).
const PROGRESS: &str = " read, 0 written · GET ";

#[tokio::test]
async fn progress_shows_on_a_terminal_only() {
    // Slow answers, so that the spinner is drawn with counts before the plan is done.
    let sandbox = Sandbox::start(ddhooks_sandbox::SandboxConfig {
        latency: std::time::Duration::from_millis(150),
        ..Default::default()
    })
    .await;
    let ws = Workspace::new();
    ws.write("scenario.yaml", SCENARIO);
    let manifests = ws.manifests();
    let args = [
        "plan",
        manifests.to_str().unwrap(),
        "--api-url",
        &sandbox.base,
        "--concurrency",
        "1",
    ];

    let terminal = run_on_a_terminal(&args, &[]).await;
    assert_eq!(terminal.code, 0, "{}", terminal.all());
    assert!(
        terminal.stderr.contains(PROGRESS),
        "objects read, written and the one in hand:\n{}",
        terminal.stderr
    );
    assert!(
        terminal.stdout.contains("Plan: 3 to create"),
        "the plan is untouched on stdout:\n{}",
        terminal.stdout
    );
    assert!(!terminal.stdout.contains(PROGRESS), "{}", terminal.stdout);

    let piped = cli::run(cli::command(&args)).await;
    assert_eq!(piped.code, 0, "{}", piped.all());
    assert!(
        !piped.stderr.contains(" read, ") && !piped.stderr.contains(ESC),
        "no spinner into a pipe:\n{}",
        piped.stderr
    );

    let mut quiet_args = vec!["-q"];
    quiet_args.extend(args);
    let quiet = run_on_a_terminal(&quiet_args, &[]).await;
    assert_eq!(quiet.code, 0, "{}", quiet.all());
    assert!(
        !quiet.stderr.contains(" read, "),
        "-q draws no spinner:\n{}",
        quiet.stderr
    );

    let dumb = run_on_a_terminal(&args, &[("TERM", "dumb")]).await;
    assert!(!dumb.stderr.contains(" read, "), "{}", dumb.stderr);
}
