//! `ddhooks completions SHELL`: the shell completion script, generated from the same
//! definitions as the parser (clap_complete), so it never falls behind the flags.

use clap::{Args, CommandFactory};
use clap_complete::Shell;
use std::io::Write;
use std::process::ExitCode;

/// Flags of `ddhooks completions`.
#[derive(Debug, Args)]
#[command(after_help = "Install, for example:
  bash:       ddhooks completions bash > ~/.local/share/bash-completion/completions/ddhooks
  zsh:        ddhooks completions zsh > \"${fpath[1]}/_ddhooks\"
  fish:       ddhooks completions fish > ~/.config/fish/completions/ddhooks.fish
  powershell: ddhooks completions powershell >> $PROFILE")]
pub struct CompletionsArgs {
    /// The shell to complete for.
    #[arg(value_enum)]
    pub shell: Shell,
}

/// Prints the script on stdout.
pub fn run(args: CompletionsArgs) -> anyhow::Result<ExitCode> {
    let mut command = crate::cli::Cli::command();
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "ddhooks", &mut script);
    match std::io::stdout().lock().write_all(&script) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(ExitCode::SUCCESS),
    }
}
