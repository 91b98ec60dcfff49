//! How commands speak: the [`Printer`] each command is handed (what `-q` and the logging
//! flags asked for, instead of process-wide globals), the [`Exit`] status each returns,
//! log lines masked on their way to stderr, and the progress spinner. Depends on no
//! command and on no argument parser: `cli` and `commands` both use it.

pub mod progress;

use std::process::ExitCode;

/// What the global flags asked of a command's output; handed to each command.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Printer {
    /// `-q`: print only errors and the final line (and data asked for with `--format`).
    pub quiet: bool,
    /// The logs stay at their default level (no `-v`, no `RUST_LOG`): only then may a
    /// progress spinner share stderr with them.
    pub default_logs: bool,
}

impl Printer {
    /// Whether a progress spinner may be drawn on stderr: it is a terminal that can redraw
    /// a line (`TERM` is not `dumb`), `-q` is off, and no `-v` or `RUST_LOG` asks for logs
    /// that would scroll through it.
    pub fn progress_allowed(&self) -> bool {
        use std::io::IsTerminal;
        !self.quiet
            && self.default_logs
            && std::env::var_os("TERM").map_or(true, |t| t != "dumb")
            && std::io::stderr().is_terminal()
    }
}

impl Default for Printer {
    /// Everything printed, logs at their default level (the demo and tests).
    fn default() -> Self {
        Printer {
            quiet: false,
            default_logs: true,
        }
    }
}

/// How a command ended: its exit status, named.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Exit {
    /// 0: done, nothing wrong.
    Success,
    /// 1: something failed or is wrong (problems in a plan, a failed case, a refused
    /// unlock, an error).
    Failure,
    /// 2: `--detailed-exitcode` and there are changes to apply.
    Changes,
}

impl From<Exit> for ExitCode {
    fn from(exit: Exit) -> ExitCode {
        match exit {
            Exit::Success => ExitCode::SUCCESS,
            Exit::Failure => ExitCode::from(1),
            Exit::Changes => ExitCode::from(2),
        }
    }
}

/// Whether stderr may carry colours: it is a terminal and `NO_COLOR` is unset or empty.
pub fn stderr_color() -> bool {
    use std::io::IsTerminal;
    std::env::var_os("NO_COLOR").map_or(true, |v| v.is_empty()) && std::io::stderr().is_terminal()
}

/// Where log lines go: stderr, with every credential in them masked by the one masking
/// function (a log line may quote a URL or an error that Datadog echoed).
pub struct MaskingWriter<W>(pub W);

impl<W: std::io::Write> std::io::Write for MaskingWriter<W> {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        let text = String::from_utf8_lossy(buf);
        let masked = crate::mask::mask_text(&text);
        // A log line (a retry summary, a warning) clears the spinner, if one is drawn, and
        // the spinner comes back under it.
        progress::suspend(|| self.0.write_all(masked.as_bytes()))?;
        Ok(buf.len())
    }

    fn flush(&mut self) -> std::io::Result<()> {
        self.0.flush()
    }
}
