//! Standard output, one line at a time.
//!
//! Every line is flushed as soon as it is written so that a script reading the command's
//! output sees each message when it arrives, not when a buffer fills.

use crate::error::CliError;
use ferrozmq::Message;
use std::io::{self, Write};

/// Where the command prints what it receives.
pub struct Output {
    stdout: io::Stdout,
}

impl Output {
    /// Output to the process's standard output.
    pub fn stdout() -> Output {
        Output {
            stdout: io::stdout(),
        }
    }

    /// Prints one line of text.
    pub fn line(&mut self, text: &str) -> Result<(), CliError> {
        let mut stdout = self.stdout.lock();
        writeln!(stdout, "{text}")
            .and_then(|()| stdout.flush())
            .map_err(write_failed)
    }

    /// Prints a message on one line, its parts separated by tabs, bytes that are not
    /// UTF-8 shown as replacement characters.
    pub fn message(&mut self, parts: &[Message]) -> Result<(), CliError> {
        let line = parts
            .iter()
            .map(|part| String::from_utf8_lossy(part.as_slice()))
            .collect::<Vec<_>>()
            .join("\t");
        self.line(&line)
    }
}

fn write_failed(e: io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::OutputClosed
    } else {
        CliError::failed(format!("cannot write to standard output: {e}"))
    }
}
