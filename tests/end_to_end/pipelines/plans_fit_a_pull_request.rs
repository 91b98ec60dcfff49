//! Plans that fit a pull request: the Markdown plan of 2,000 monitor changes stays under
//! GitHub's 65,536-character limit and says what it left out and where the full plan is;
//! long diffs are cut with a note; `ddhooks show` renders a saved plan as `plan` printed
//! it, without Datadog; `plan` appends its Markdown plan to the GitHub job summary.

use crate::kit::cli::{self, API_KEY};
use crate::kit::fixtures::{Workspace, SCENARIO};
use crate::kit::sandbox::Sandbox;
use crate::kit::snapshots;

/// GitHub's limit on a comment, in characters.
const GITHUB_LIMIT: usize = 65_536;

/// The scenario plus a webhook whose payload has `keys` fields: a diff of `keys + 2` lines.
fn with_a_long_payload(keys: usize) -> String {
    let mut text = SCENARIO.to_string();
    text.push_str("webhooks:\n  wide:\n    url: https://wide.example.com/\n    payload:\n");
    for i in 0..keys {
        text.push_str(&format!("      field_{i:03}: \"$EVENT_TITLE\"\n"));
    }
    text
}

/// A sandbox with `count` monitors that the scenario's pair selects, all alike (they are
/// created concurrently: which gets which id varies, so nothing in them depends on it).
async fn org_with_monitors(count: usize) -> Sandbox {
    let sandbox = Sandbox::start(Default::default()).await;
    let monitors: Vec<(String, Vec<String>, String)> = (0..count)
        .map(|_| {
            (
                "checkout latency".to_string(),
                vec!["team:checkout".to_string()],
                "p99 over budget\n@slack-checkout".to_string(),
            )
        })
        .collect();
    sandbox.create_monitors(&monitors).await;
    sandbox
}

/// The first `head` lines, a marker, and the last `tail` lines of `text`.
fn ends(text: &str, head: usize, tail: usize) -> String {
    let lines: Vec<&str> = text.lines().collect();
    let cut = lines.len().saturating_sub(tail).max(head);
    let mut out = lines[..head.min(lines.len())].join("\n");
    out.push_str(&format!("\n[… {} lines …]\n", cut.saturating_sub(head)));
    out.push_str(&lines[cut..].join("\n"));
    out
}

/// A number in the closing note: the one before `word`.
fn number_before(text: &str, word: &str) -> usize {
    let at = text
        .find(word)
        .unwrap_or_else(|| panic!("{word:?} in {text}"));
    let digits: String = text[..at]
        .trim_end()
        .chars()
        .rev()
        .take_while(char::is_ascii_digit)
        .collect::<Vec<_>>()
        .into_iter()
        .rev()
        .collect();
    digits
        .parse()
        .unwrap_or_else(|_| panic!("a number before {word:?}"))
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn a_plan_of_two_thousand_monitor_changes_fits_a_comment() {
    let sandbox = org_with_monitors(2_000).await;
    let ws = Workspace::new();
    ws.write("scenario.yaml", &with_a_long_payload(100));
    let plan_file = ws.path("plan.json");
    let out = ["--format", "markdown", "--out", plan_file.to_str().unwrap()];
    let run = cli::plan(&sandbox.base, &ws.manifests(), &out).await;
    assert_eq!(run.code, 0, "{}", run.all());
    let markdown = &run.stdout;

    assert!(
        markdown.chars().count() < GITHUB_LIMIT && markdown.len() < GITHUB_LIMIT,
        "{} characters, {} bytes",
        markdown.chars().count(),
        markdown.len()
    );
    assert!(
        markdown.starts_with("### ddhooks plan\n\n**Plan: 2004 to create, 0 to update, 0 to delete.** Planned against `http://127.0.0.1:"),
        "the summary and the target first:\n{}",
        ends(markdown, 5, 0)
    );
    // One collapsible section per change shown, each closed, each code fence closed.
    let shown = markdown.matches("<details><summary>").count();
    assert_eq!(shown, markdown.matches("</details>").count());
    assert_eq!(
        markdown.matches("```diff\n").count(),
        shown,
        "one diff per change"
    );
    assert_eq!(
        markdown.matches("\n```\n").count(),
        shown,
        "every fence closed"
    );
    assert!(shown > 100, "{shown} changes shown");
    // The rest is counted, and the note says where the full plan is.
    let not_shown = number_before(markdown, "of 2004 changes");
    assert_eq!(shown + not_shown, 2004, "every change shown or counted");
    // Those without their diffs are still named, each monitor by its id.
    let listing = markdown
        .lines()
        .find(|l| l.starts_with("- `~` ") && l.contains(" monitor: add block grp: "))
        .expect("the monitors without diffs, listed");
    let (_, ids) = listing.split_once(" monitor: add block grp: ").unwrap();
    let mut named: Vec<&str> = ids.split(", ").collect();
    named.extend(
        markdown
            .lines()
            .filter_map(|l| l.split_once("<code>monitor.")?.1.split_once("</code>"))
            .map(|(id, _)| id),
    );
    named.sort_by_key(|id| id.parse::<u32>().unwrap());
    let expected: Vec<String> = (1..=2000).map(|id| id.to_string()).collect();
    assert_eq!(named, expected, "every monitor named once");
    assert!(!markdown.contains("the names of"), "none unnamed");
    assert!(
        markdown.contains("The full plan is in the saved plan file (`ddhooks show PLAN_FILE`) and in the job's output."),
        "{}",
        ends(markdown, 0, 3)
    );
    // The long payload's diff (4 fields, 100 payload lines and a `}`: 105 lines) is cut
    // after 60, with a note of how much.
    assert!(
        markdown.contains("_45 more lines of this change are not shown: `ddhooks show PLAN_FILE` prints them all._"),
        "{}",
        ends(markdown, 80, 0)
    );
    assert!(!markdown.contains(API_KEY), "secrets stay masked");
    snapshots::masked()
        .bind(|| insta::assert_snapshot!("large_plan_markdown", ends(markdown, 40, 40)));

    // The saved plan has it all: `show` renders the whole text plan, every change in it.
    let text = cli::ddhooks(&["show", plan_file.to_str().unwrap()]).await;
    assert_eq!(text.code, 0, "{}", text.all());
    assert_eq!(text.stdout.matches(" will be created").count(), 4);
    assert_eq!(text.stdout.matches("  ~ monitor.").count(), 2_000);
    assert!(
        text.stdout.contains("field_099"),
        "the cut lines are in the saved plan"
    );
    let shown_again =
        cli::ddhooks(&["show", plan_file.to_str().unwrap(), "--format", "markdown"]).await;
    assert_eq!(&shown_again.stdout, markdown, "show makes the same comment");
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn show_renders_a_saved_plan_as_plan_printed_it() {
    let sandbox = org_with_monitors(3).await;
    let ws = Workspace::new();
    ws.write("scenario.yaml", SCENARIO);
    let dir = ws.manifests();
    let plan_file = ws.path("plan.json");
    let file = plan_file.to_str().unwrap();
    for format in ["text", "json", "markdown"] {
        let flags = ["--format", format, "--out", file, "--no-color"];
        let printed = cli::plan(&sandbox.base, &dir, &flags).await;
        assert_eq!(printed.code, 0, "{format}: {}", printed.all());
        let shown = cli::ddhooks(&["show", file, "--format", format]).await;
        assert_eq!(shown.code, 0, "{format}: {}", shown.all());
        assert_eq!(
            shown.stdout, printed.stdout,
            "{format}: show prints what plan printed"
        );
    }
    // Without Datadog: the sandbox is gone, and show still renders the plan.
    sandbox.stop().await;
    let offline = cli::ddhooks(&["show", file]).await;
    offline.assert_exit_shows(0, &["Plan: 6 to create"]);
    let detailed = cli::ddhooks(&["show", file, "--detailed-exitcode"]).await;
    assert_eq!(detailed.code, 2, "changes: exit 2 as plan does");

    let missing = cli::ddhooks(&["show", "/nonexistent/plan.json"]).await;
    assert_eq!(missing.code, 1);
    assert!(
        missing
            .stderr
            .contains("reading the saved plan /nonexistent/plan.json"),
        "{}",
        missing.all()
    );
    std::fs::write(ws.path("junk.json"), "{\"kind\": 3").unwrap();
    let junk = cli::ddhooks(&["show", ws.path("junk.json").to_str().unwrap()]).await;
    assert_eq!(junk.code, 1);
    assert!(
        junk.stderr
            .contains("is not a plan saved by `ddhooks plan --out`"),
        "{}",
        junk.all()
    );
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn plan_appends_its_markdown_plan_to_the_job_summary() {
    let sandbox = org_with_monitors(3).await;
    let ws = Workspace::new();
    ws.write("scenario.yaml", SCENARIO);
    let summary = ws.path("summary.md");
    std::fs::write(&summary, "## An earlier step\n").unwrap();
    let markdown = cli::plan(&sandbox.base, &ws.manifests(), &["--format", "markdown"]).await;

    let mut cmd = cli::verb("plan", &sandbox.base, &ws.manifests(), &[]);
    cmd.env("GITHUB_STEP_SUMMARY", &summary);
    let text = cli::run(cmd).await;
    assert_eq!(text.code, 0, "{}", text.all());
    assert!(
        text.stdout.contains("ddhooks will perform"),
        "stdout keeps the text plan"
    );
    let written = std::fs::read_to_string(&summary).unwrap();
    assert_eq!(
        written,
        format!("## An earlier step\n{}\n", markdown.stdout),
        "appended after what was there, the same Markdown plan"
    );
    assert!(!written.contains(API_KEY));

    let mut unwritable = cli::verb("plan", &sandbox.base, &ws.manifests(), &[]);
    unwritable.env("GITHUB_STEP_SUMMARY", "/nonexistent/dir/summary.md");
    let still = cli::run(unwritable).await;
    assert_eq!(
        still.code,
        0,
        "a summary that cannot be written fails nothing: {}",
        still.all()
    );
    assert!(
        still
            .stderr
            .contains("could not append the plan to the job summary /nonexistent/dir/summary.md"),
        "{}",
        still.all()
    );
}
