//! Standard output, one line at a time, in the format asked for.
//!
//! Every line is flushed as soon as it is written so that a script reading the command's
//! output sees each message when it arrives, not when a buffer fills.
//!
//! Three formats for messages ([`Format`]): text (parts separated by tabs, bytes that are
//! not UTF-8 shown as replacement characters: readable, lossy), hex (every byte kept), and
//! json (one object per line, every byte kept: a part is a JSON string when it is UTF-8,
//! else `{"base64": "..."}`):
//!
//! ```text
//! {"parts":["Are you OK?"]}                              most types
//! {"routing_id":{"base64":"AGuLRWc="},"parts":["hello"]}  router
//! {"routing_id":7,"parts":["hello"]}                      server, peer
//! {"group":"weather","parts":["rain"]}                    dish
//! {"subscribe":"weather"}, {"unsubscribe":"weather"}       xpub's notices
//! ```

use crate::error::CliError;
use base64::Engine as _;
use ferrozmq::{Message, MonitorEvent};
use serde_json::{json, Value};
use std::io::{self, Write};

/// How received messages are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum Format {
    /// Parts as text, separated by tabs.
    Text,
    /// Parts as lower-case hex digits, separated by tabs.
    Hex,
    /// One JSON object per message.
    Json,
}

/// How monitor events are printed.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum EventFormat {
    /// `EVENT<tab>ENDPOINT<tab>VALUE`.
    Text,
    /// `{"event": ..., "endpoint": ..., "value": ...}`.
    Json,
}

/// Who a message printed with [`Output::addressed`] came from or was sent to.
#[derive(Clone, Copy, Debug)]
pub enum Address<'a> {
    /// A SERVER's or PEER's peer, by routing id.
    Peer(u32),
    /// A DISH's group.
    Group(&'a str),
}

/// Where the command prints what it receives.
pub struct Output {
    stdout: io::Stdout,
    format: Format,
}

impl Output {
    /// Output to the process's standard output, in `format`.
    pub fn stdout(format: Format) -> Output {
        Output {
            stdout: io::stdout(),
            format,
        }
    }

    /// Prints one line of text.
    pub fn line(&mut self, text: &str) -> Result<(), CliError> {
        let mut stdout = self.stdout.lock();
        writeln!(stdout, "{text}")
            .and_then(|()| stdout.flush())
            .map_err(write_failed)
    }

    /// Prints a message: in text, on one line, its parts separated by tabs.
    pub fn message(&mut self, parts: &[Message]) -> Result<(), CliError> {
        let line = match self.format {
            Format::Json => json!({ "parts": json_parts(parts) }).to_string(),
            format => joined(parts, format),
        };
        self.line(&line)
    }

    /// Prints what a ROUTER received: the sender's routing id (in text, see
    /// [`routing_id_text`]), then the message's parts.
    pub fn routed(&mut self, parts: &[Message]) -> Result<(), CliError> {
        let Some((id, rest)) = parts.split_first().filter(|(_, rest)| !rest.is_empty()) else {
            return self.message(parts);
        };
        let line = match self.format {
            Format::Text => format!("{}\t{}", routing_id_text(id), joined(rest, Format::Text)),
            Format::Hex => joined(parts, Format::Hex),
            Format::Json => {
                json!({ "routing_id": json_part(id), "parts": json_parts(rest) }).to_string()
            }
        };
        self.line(&line)
    }

    /// Prints a single-part message after what addresses it (a SERVER's or PEER's sender,
    /// a DISH's group).
    pub fn addressed(&mut self, address: Address<'_>, body: &Message) -> Result<(), CliError> {
        let line = match (self.format, address) {
            (Format::Json, Address::Peer(id)) => {
                json!({ "routing_id": id, "parts": [json_part(body)] }).to_string()
            }
            (Format::Json, Address::Group(group)) => {
                json!({ "group": group, "parts": [json_part(body)] }).to_string()
            }
            (format, address) => {
                let address = match address {
                    Address::Peer(id) => id.to_string(),
                    Address::Group(group) => group.to_owned(),
                };
                format!("{address}\t{}", joined(std::slice::from_ref(body), format))
            }
        };
        self.line(&line)
    }

    /// Prints what an XPUB received: a subscription notice as `+prefix` (subscribe) or
    /// `-prefix` (unsubscribe), any other message as [`message`](Self::message) does.
    pub fn xpub_message(&mut self, parts: &[Message]) -> Result<(), CliError> {
        let notice = match parts {
            [only] => match only.split_first() {
                Some((1, prefix)) => Some((true, prefix)),
                Some((0, prefix)) => Some((false, prefix)),
                _ => None,
            },
            _ => None,
        };
        let Some((subscribe, prefix)) = notice else {
            return self.message(parts);
        };
        let line = match self.format {
            Format::Json => {
                let key = if subscribe {
                    "subscribe"
                } else {
                    "unsubscribe"
                };
                json!({ key: json_bytes(prefix) }).to_string()
            }
            format => {
                let sign = if subscribe { '+' } else { '-' };
                format!("{sign}{}", part_text(prefix, format))
            }
        };
        self.line(&line)
    }

    /// Prints a monitor event.
    pub fn event(&mut self, event: &MonitorEvent, format: EventFormat) -> Result<(), CliError> {
        let (name, endpoint, value) = (event.kind().name(), event.endpoint(), event.value());
        let line = match format {
            EventFormat::Text => format!("{name}\t{endpoint}\t{value}"),
            EventFormat::Json => {
                json!({ "event": name, "endpoint": endpoint, "value": value }).to_string()
            }
        };
        self.line(&line)
    }
}

/// The parts in `format` (text or hex), separated by tabs.
fn joined(parts: &[Message], format: Format) -> String {
    parts
        .iter()
        .map(|part| part_text(part, format))
        .collect::<Vec<_>>()
        .join("\t")
}

/// One part as text (bytes that are not UTF-8 shown as replacement characters) or hex.
fn part_text(bytes: &[u8], format: Format) -> String {
    match format {
        Format::Hex => bytes.iter().map(|byte| format!("{byte:02x}")).collect(),
        _ => String::from_utf8_lossy(bytes).into_owned(),
    }
}

fn json_parts(parts: &[Message]) -> Vec<Value> {
    parts.iter().map(json_part).collect()
}

fn json_part(part: &Message) -> Value {
    json_bytes(part)
}

/// Bytes as JSON without loss: a string when they are UTF-8, else `{"base64": "..."}`.
fn json_bytes(bytes: &[u8]) -> Value {
    match std::str::from_utf8(bytes) {
        Ok(text) => Value::String(text.to_owned()),
        Err(_) => json!({ "base64": base64::engine::general_purpose::STANDARD.encode(bytes) }),
    }
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
    use super::*;

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

    #[test]
    fn json_keeps_text_as_strings_and_other_bytes_in_base64() {
        assert_eq!(json_bytes("消息".as_bytes()), json!("消息"));
        assert_eq!(json_bytes(b"a\tb\0"), json!("a\tb\0"));
        assert_eq!(json_bytes(&[0xFF, 0, 1]), json!({ "base64": "/wAB" }));
    }

    #[test]
    fn hex_keeps_every_byte() {
        assert_eq!(part_text(&[0, 0xAB, b'z'], Format::Hex), "00ab7a");
        let parts = [Message::from("a"), Message::from(&[0xFFu8][..])];
        assert_eq!(joined(&parts, Format::Hex), "61\tff");
    }
}
