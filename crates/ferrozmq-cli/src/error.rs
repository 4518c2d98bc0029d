//! Why the command stopped early, and the exit status each reason maps to.

use std::io::Write;
use std::process::ExitCode;

/// A reason to stop before the work is done.
#[derive(Debug)]
pub enum CliError {
    /// The command line is wrong: the user has to change it (exit status 2).
    Usage(String),
    /// The command line was fine but the work could not be done (exit status 1).
    Failed(String),
    /// Whoever read standard output went away, as `| head` does. Nobody is left to tell,
    /// so this ends the command quietly and successfully.
    OutputClosed,
    /// A program this one handed over to failed and has said why; exit with its status.
    Reported(u8),
}

impl CliError {
    /// A usage error with the given message.
    pub fn usage(message: impl Into<String>) -> CliError {
        CliError::Usage(message.into())
    }

    /// A failure with the given message.
    pub fn failed(message: impl Into<String>) -> CliError {
        CliError::Failed(message.into())
    }

    /// Prints the one-line message, if any, and gives the exit status.
    pub fn report(&self) -> ExitCode {
        let (message, status) = match self {
            CliError::Usage(message) => (message, 2),
            CliError::Failed(message) => (message, 1),
            CliError::OutputClosed => return ExitCode::SUCCESS,
            CliError::Reported(status) => return ExitCode::from(*status),
        };
        // A closed standard error leaves no one to tell; the status still says it.
        let _ = writeln!(std::io::stderr(), "ferrozmq: {message}");
        ExitCode::from(status)
    }
}
