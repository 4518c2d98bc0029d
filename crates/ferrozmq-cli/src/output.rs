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
        self.line(&joined(parts))
    }

    /// Prints what a ROUTER received: the sender's routing id (see [`routing_id_text`]),
    /// then the message's parts, all separated by tabs.
    pub fn routed(&mut self, parts: &[Message]) -> Result<(), CliError> {
        match parts.split_first() {
            Some((id, rest)) if !rest.is_empty() => {
                self.line(&format!("{}\t{}", routing_id_text(id), joined(rest)))
            }
            _ => self.message(parts),
        }
    }

    /// Prints a single-part message after what addresses it (a SERVER's or PEER's sender,
    /// a DISH's group), separated by a tab.
    pub fn addressed(&mut self, address: &str, body: &Message) -> Result<(), CliError> {
        let body = String::from_utf8_lossy(body.as_slice());
        self.line(&format!("{address}\t{body}"))
    }

    /// Prints what an XPUB received: a subscription notice as `+prefix` (subscribe) or
    /// `-prefix` (unsubscribe), any other message as [`message`](Self::message) does.
    pub fn xpub_message(&mut self, parts: &[Message]) -> Result<(), CliError> {
        let notice = match parts {
            [only] => match only.as_slice().split_first() {
                Some((1, prefix)) => Some(('+', prefix)),
                Some((0, prefix)) => Some(('-', prefix)),
                _ => None,
            },
            _ => None,
        };
        match notice {
            Some((sign, prefix)) => {
                self.line(&format!("{sign}{}", String::from_utf8_lossy(prefix)))
            }
            None => self.message(parts),
        }
    }
}

/// The parts as text, tab-separated, bytes that are not UTF-8 shown as replacement
/// characters.
fn joined(parts: &[Message]) -> String {
    parts
        .iter()
        .map(|part| String::from_utf8_lossy(part.as_slice()))
        .collect::<Vec<_>>()
        .join("\t")
}

/// A routing id as its text when that is UTF-8 without control characters, else as `0x`
/// and upper-case hex digits: the ids a ROUTER makes up for peers that set none are five
/// bytes starting with zero, such as `0x006B8B4567`.
pub fn routing_id_text(id: &[u8]) -> String {
    match std::str::from_utf8(id) {
        Ok(text) if !text.is_empty() && !text.chars().any(char::is_control) => text.to_owned(),
        _ => {
            let digits: String = id.iter().map(|byte| format!("{byte:02X}")).collect();
            format!("0x{digits}")
        }
    }
}

fn write_failed(e: io::Error) -> CliError {
    if e.kind() == io::ErrorKind::BrokenPipe {
        CliError::OutputClosed
    } else {
        CliError::failed(format!("cannot write to standard output: {e}"))
    }
}

#[cfg(test)]
mod tests {
    use super::routing_id_text;

    #[test]
    fn printable_routing_ids_print_as_text() {
        assert_eq!(routing_id_text(b"worker-1"), "worker-1");
        assert_eq!(routing_id_text("工人".as_bytes()), "工人");
    }

    #[test]
    fn other_routing_ids_print_as_hex() {
        assert_eq!(
            routing_id_text(&[0, 0x6B, 0x8B, 0x45, 0x67]),
            "0x006B8B4567"
        );
        assert_eq!(routing_id_text(b"a\tb"), "0x610962");
        assert_eq!(routing_id_text(&[0xFF]), "0xFF");
    }
}
