use std::process::ExitCode;

mod cli;

use clap::Parser;
use cli::Cli;

fn main() -> ExitCode {
    restore_sigpipe();
    match cli::run(Cli::parse()) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("error: {e}");
            ExitCode::from(e.exit_code())
        }
    }
}

/// Lets a closed pipe (`nexus-mc run | head -1`) end the process quietly, as
/// for other Unix tools, instead of a panic when printing fails. Outputs are
/// written atomically, so nothing is left half-written.
fn restore_sigpipe() {
    #[cfg(unix)]
    // SAFETY: called first thing in main, before any thread exists; setting a
    // signal's disposition to the default has no other precondition.
    unsafe {
        libc::signal(libc::SIGPIPE, libc::SIG_DFL);
    }
}
