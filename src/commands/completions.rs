//! `ddhooks completions SHELL`: the shell completion script, generated from the same
//! definitions as the parser (clap_complete), so it never falls behind the flags.

use crate::output::Exit;
use clap::Args;
use clap_complete::Shell;
use std::io::Write;

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

/// Prints the script for `command` (the whole command line, from `cli`) on stdout.
pub fn run(args: CompletionsArgs, mut command: clap::Command) -> anyhow::Result<Exit> {
    let mut script = Vec::new();
    clap_complete::generate(args.shell, &mut command, "ddhooks", &mut script);
    match std::io::stdout().lock().write_all(&script) {
        Err(err) if err.kind() != std::io::ErrorKind::BrokenPipe => Err(err.into()),
        _ => Ok(Exit::Success),
    }
}
