//! Asking the context's ZAP handler (RFC 27) about a client, without ever waiting for it.
//!
//! A server connection whose mechanism wants a verdict opens a pipe of its own to the socket
//! the application bound at `inproc://zeromq.zap.01` (a REP or ROUTER), as a DEALER would
//! connect: the request goes out with an empty delimiter in front, and the reply comes back
//! the same way. The pipe wakes the I/O thread when the reply arrives, like any pipe; until
//! then the connection's handshake simply waits (bounded by HANDSHAKE_IVL). The pipe is
//! dropped with the answer or the connection, and the handler's socket sees it go.
//!
//! ```text
//! request: "" | "1.0" | request id | domain | address | identity | mechanism | credentials...
//! reply:   "" | "1.0" | request id | status code | status text | user id | metadata
//! ```

use crate::context::ZapDirectory;
use crate::pipe::{Notify, PipeEnd, Read};
use bytes::Bytes;
use std::fmt;
use std::sync::Arc;
use zmtp::mechanism::{AuthRequest, Verdict};
use zmtp::{Message, Metadata};

/// Where a process's ZAP handler binds (RFC 27).
pub(crate) const ZAP_ENDPOINT: &str = "zeromq.zap.01";
/// The only ZAP version there is.
const VERSION: &[u8] = b"1.0";
/// Each connection asks once, so one id does (libzmq numbers its requests from 1 too).
const REQUEST_ID: &[u8] = b"1";

/// The handler's reply broke RFC 27. The handshake fails; the monitor reports it as
/// [`HandshakeFailedProtocol`](crate::EventKind::HandshakeFailedProtocol) with the matching
/// `ZMQ_PROTOCOL_ERROR_ZAP_*` code.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum ZapError {
    /// Not seven frames starting with an empty delimiter.
    MalformedReply,
    /// Another request id than the request's.
    BadRequestId,
    /// Another version than "1.0".
    BadVersion,
    /// A status code other than 200, 300, 400 or 500.
    InvalidStatusCode,
    /// The metadata frame does not parse.
    InvalidMetadata,
}

impl fmt::Display for ZapError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(match self {
            ZapError::MalformedReply => "malformed ZAP reply",
            ZapError::BadRequestId => "ZAP reply for another request",
            ZapError::BadVersion => "ZAP reply of an unknown version",
            ZapError::InvalidStatusCode => "ZAP reply with an invalid status code",
            ZapError::InvalidMetadata => "ZAP reply with malformed metadata",
        })
    }
}

impl std::error::Error for ZapError {}

/// What became of a request.
#[derive(Debug, PartialEq)]
pub(crate) enum ZapOutcome {
    /// The handler answered: a verdict, or a reply that broke RFC 27.
    Answered(Result<Verdict, ZapError>),
    /// The handler's socket closed before it answered (even halfway through reading the
    /// request): no answer will come.
    HandlerGone,
}

/// What goes in a request besides the mechanism's part.
pub(crate) struct RequestContext<'a> {
    pub(crate) domain: &'a str,
    /// The client's IP address (empty for ipc).
    pub(crate) address: &'a str,
    /// The server socket's routing id, which is what libzmq sends here.
    pub(crate) identity: &'a [u8],
}

/// One request under way.
pub(crate) struct ZapClient {
    end: PipeEnd,
    /// Parts of the reply read so far (a reply arrives whole, but is read part by part).
    reply: Vec<Message>,
}

impl ZapClient {
    /// Connects to the handler, if one is bound, and sends the request. Events on the pipe go
    /// to `notify` under `token`.
    pub(crate) fn start(
        directory: &ZapDirectory,
        notify: Arc<dyn Notify>,
        token: u64,
        request: &AuthRequest,
        context: &RequestContext<'_>,
    ) -> Option<ZapClient> {
        let mut end = directory.connect(notify)?;
        end.register(token);
        let mut parts: Vec<Bytes> = vec![
            Bytes::new(),
            Bytes::from_static(VERSION),
            Bytes::from_static(REQUEST_ID),
            Bytes::copy_from_slice(context.domain.as_bytes()),
            Bytes::copy_from_slice(context.address.as_bytes()),
            Bytes::copy_from_slice(context.identity),
            Bytes::copy_from_slice(request.mechanism.as_bytes()),
        ];
        parts.extend(request.credentials.iter().cloned());
        let last = parts.len() - 1;
        for (i, part) in parts.into_iter().enumerate() {
            // The pipe is unlimited; only a handler gone already refuses, and then the reply
            // never comes: `poll` reports that.
            let _ = end.send(Message::from_bytes(part).with_more(i < last));
        }
        Some(ZapClient {
            end,
            reply: Vec::new(),
        })
    }

    /// The handler's answer once it came: `None` while it has not, and then the pipe wakes
    /// its owner when the answer comes (a pipe wakes only a reader that found it empty, so
    /// call this once right after [`start`](Self::start)).
    pub(crate) fn poll(&mut self) -> Option<ZapOutcome> {
        loop {
            match self.end.read() {
                Read::Message(part) => {
                    let last = !part.more();
                    self.reply.push(part);
                    if last {
                        let reply = parse_reply(&std::mem::take(&mut self.reply));
                        return Some(ZapOutcome::Answered(reply));
                    }
                }
                Read::Empty => return None,
                Read::Closed => return Some(ZapOutcome::HandlerGone),
            }
        }
    }
}

impl Drop for ZapClient {
    fn drop(&mut self) {
        // The connection no longer listens; the pipe's events must not reach whatever
        // handler takes this token next.
        self.end.unregister();
    }
}

/// Checks a reply as RFC 27 lays it out and turns it into a verdict.
fn parse_reply(parts: &[Message]) -> Result<Verdict, ZapError> {
    let [delimiter, version, request_id, status_code, status_text, user_id, metadata] = parts
    else {
        return Err(ZapError::MalformedReply);
    };
    if !delimiter.is_empty() {
        return Err(ZapError::MalformedReply);
    }
    if &version[..] != VERSION {
        return Err(ZapError::BadVersion);
    }
    if &request_id[..] != REQUEST_ID {
        return Err(ZapError::BadRequestId);
    }
    let status_code = match &status_code[..] {
        b"200" => 200,
        b"300" => 300,
        b"400" => 400,
        b"500" => 500,
        _ => return Err(ZapError::InvalidStatusCode),
    };
    let status_text = String::from_utf8_lossy(status_text).into_owned();
    if status_code != Verdict::SUCCESS {
        return Ok(Verdict::deny(status_code, status_text));
    }
    Ok(Verdict {
        status_code,
        status_text,
        user_id: Bytes::copy_from_slice(user_id),
        metadata: Metadata::decode(metadata).map_err(|_| ZapError::InvalidMetadata)?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn reply(parts: &[&[u8]]) -> Vec<Message> {
        let last = parts.len() - 1;
        parts
            .iter()
            .enumerate()
            .map(|(i, p)| Message::from_slice(p).with_more(i < last))
            .collect()
    }

    #[test]
    fn replies_become_verdicts() {
        let ok = parse_reply(&reply(&[
            b"",
            b"1.0",
            b"1",
            b"200",
            b"OK",
            b"joe",
            b"\x04Team\x00\x00\x00\x03ops",
        ]))
        .unwrap();
        assert!(ok.is_allowed());
        assert_eq!(&ok.user_id[..], b"joe");
        assert_eq!(&ok.metadata.get("Team").unwrap()[..], b"ops");
        let denied = parse_reply(&reply(&[b"", b"1.0", b"1", b"400", b"No", b"", b""])).unwrap();
        assert_eq!((denied.status_code, &denied.status_text[..]), (400, "No"));
    }

    #[test]
    fn replies_that_break_the_rfc_are_named() {
        let cases: [(&[&[u8]], ZapError); 6] = [
            (
                &[b"", b"1.0", b"1", b"200", b"OK", b""],
                ZapError::MalformedReply,
            ),
            (
                &[b"x", b"1.0", b"1", b"200", b"OK", b"", b""],
                ZapError::MalformedReply,
            ),
            (
                &[b"", b"2.0", b"1", b"200", b"OK", b"", b""],
                ZapError::BadVersion,
            ),
            (
                &[b"", b"1.0", b"7", b"200", b"OK", b"", b""],
                ZapError::BadRequestId,
            ),
            (
                &[b"", b"1.0", b"1", b"201", b"OK", b"", b""],
                ZapError::InvalidStatusCode,
            ),
            (
                &[b"", b"1.0", b"1", b"200", b"OK", b"", b"\x09"],
                ZapError::InvalidMetadata,
            ),
        ];
        for (parts, error) in cases {
            assert_eq!(parse_reply(&reply(parts)), Err(error), "{parts:?}");
        }
    }
}
