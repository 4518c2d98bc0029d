//! The text `ferrozmq --help` prints.

use crate::role::supported_type_names;

/// The full usage text.
pub fn text() -> String {
    format!(
        "\
ferrozmq: ZeroMQ sockets from the command line

Usage:
  ferrozmq demo
  ferrozmq TYPE ENDPOINT... [OPTIONS]
  ferrozmq proxy FRONT_TYPE FRONT_ENDPOINT BACK_TYPE BACK_ENDPOINT
  ferrozmq --help | --version

Commands:
  demo     run the request-reply, publish-subscribe and pipeline examples over
           loopback tcp and print what each side sees
  TYPE     drive one socket of type TYPE, one of {types}:
             req   sends each message and prints each reply
             rep   prints each request and replies (--reply, else echoes it)
             pub, push   send messages
             sub, pull   print the messages they receive
             dealer, pair, xpub, xsub   send the --send values, if any, and
                   print every message they receive
             router   prints each message after its sender's routing id; with
                   --send, answers each message, to its sender
  proxy    forward messages both ways between two sockets

Endpoints:
  @tcp://*:5555         bind
  >tcp://host:5555      connect
  tcp://host:5555       rep, pub, pull, router and xpub bind; the others
                        connect
  Several endpoints may be given; ipc:// endpoints work too.

Options (socket commands):
  --send TEXT        a message to send; repeat for several, sent in turn.
                     Without --send, req, pub and push send each line of
                     standard input; the other types send nothing.
                     router: the answers, sent in turn, one to the sender of
                     each message received (with the message's envelope, so a
                     req client gets its reply)
  --count N          stop after N messages sent or received (req, rep, router:
                     N messages answered or printed; dealer, pair, xpub, xsub:
                     N sent with --send, else N received). Without it, --send
                     values go once each, and the receiving types run until
                     stopped.
  --interval MS      wait MS milliseconds between sends (dealer, pair, xpub,
                     xsub print what arrives meanwhile)
  --subscribe PREFIX (sub, xsub) receive messages starting with PREFIX;
                     repeatable; default: everything. An xsub subscribes by
                     sending \\x01PREFIX upstream.
  --reply TEXT       (rep) the reply to every request, instead of an echo
  --timeout MS       exit with status 1 if nothing arrives (or nothing can be
                     sent) within MS milliseconds. Once dealer, pair, xpub and
                     xsub have sent their --send values, they print what
                     arrives until nothing has for MS milliseconds, then exit
                     with status 0 (without --timeout: until stopped).
  --linger MS        how long to keep delivering unsent messages at exit
                     (-1: until delivered); default: the --timeout if given,
                     else -1

Received messages print one per line, parts separated by tabs. A router
prints the sender's routing id first: as text if it is printable UTF-8, else
as 0x and hex digits (such as 0x006B8B4567, an id a ROUTER makes up for a peer
that set none). An xpub prints subscriptions as +PREFIX and cancellations as
-PREFIX.
Exit status: 0 done, 1 failed or timed out, 2 bad command line.
",
        types = supported_type_names()
    )
}
