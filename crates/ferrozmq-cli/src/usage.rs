//! The text `ferrozmq --help` prints.

use crate::{security, socket_options};

/// The full usage text; the socket options come from their table.
pub fn text() -> String {
    [
        BEFORE_SOCKET_OPTIONS,
        &socket_options::help(),
        security::HELP,
        AFTER_SOCKET_OPTIONS,
    ]
    .concat()
}

const BEFORE_SOCKET_OPTIONS: &str = "\
ferrozmq: ZeroMQ sockets from the command line

Usage:
  ferrozmq demo
  ferrozmq TYPE ENDPOINT... [OPTIONS] [SOCKET OPTIONS]
  ferrozmq proxy FRONT_TYPE FRONT_ENDPOINT [SOCKET OPTIONS]
                 BACK_TYPE BACK_ENDPOINT [SOCKET OPTIONS]
  ferrozmq monitor TYPE ENDPOINT... [--count N] [--timeout MS] [SOCKET OPTIONS]
  ferrozmq keygen
  ferrozmq bench compare|scale|report [--rounds N] [--quick] [--markdown FILE]
  ferrozmq --help | --version

Commands:
  demo     run the request-reply, publish-subscribe and pipeline examples over
           loopback tcp and print what each side sees
  TYPE     drive one socket of type TYPE:
             req   sends each message and prints each reply
             rep   prints each request and replies (--reply, else echoes it)
             pub, push, scatter   send messages
             radio   sends messages to its --group
             sub, pull, gather   print the messages they receive
             dish   prints the messages of its --groups as GROUP<tab>MESSAGE
             dealer, pair, xpub, xsub, client, channel   send the --send
                   values, if any, and print every message they receive
             router, server   print each message after its sender's routing
                   id; with --send, answer each message, to its sender
             peer   prints each message after its sender's routing id; with
                   --send, a peer that connects sends the values in turn to
                   the peers it connected to, and one that only binds answers
                   each message, to its sender
  proxy    forward messages both ways between two sockets
  monitor  make a socket of type TYPE on the endpoints and print each event
           that happens to its listeners and connections, as it happens:
           EVENT<tab>ENDPOINT<tab>VALUE, with libzmq's event names (LISTENING,
           ACCEPTED, CONNECTED, HANDSHAKE_SUCCEEDED, DISCONNECTED, ...). The
           socket only exists to be watched: it sends and prints no messages.
           --count N stops after N events; --timeout MS exits with status 1
           when no event comes within MS milliseconds.
  keygen   print a new CURVE key pair, as the lines public: KEY and secret: KEY
           (Z85), for the security options below
  bench    measure ferrozmq side by side with libzmq and the zeromq crate:
           compare (throughput and latency over tcp, ipc and inproc, 8 B to
           1 MiB, with plain-socket bounds), scale (fan-out, idle connections,
           high-water marks, many senders), report --out FILE (both, as
           Markdown with SVG charts); `ferrozmq bench --help` for the details.
           Runs the ferrozmq-bench harness (cargo builds it in a source tree)

Endpoints:
  @tcp://*:5555         bind
  >tcp://host:5555      connect
  tcp://host:5555       rep, pub, pull, router, xpub, server, gather and dish
                        bind; the others connect
  Several endpoints may be given; ipc:// endpoints work too, and udp:// for
  a dish (binds) and a radio (connects).

Options (socket commands):
  --send TEXT        a message to send; repeat for several, sent in turn.
                     Without --send, req, pub, push, scatter and radio send
                     each line of standard input; the other types send nothing.
                     router, server, and a peer that only binds: the answers,
                     sent in turn, one to the sender of each message received
                     (a router's with the message's envelope, so a req client
                     gets its reply)
  --count N          stop after N messages sent or received (req, rep, router,
                     server, and a peer that only binds: N messages answered
                     or printed; dealer, pair, xpub, xsub, client, channel,
                     and a peer that connects: N sent with --send, else N
                     received). Without it, --send values go once each, and
                     the receiving types run until stopped.
  --interval MS      wait MS milliseconds between sends (dealer, pair, xpub,
                     xsub, client, channel and peer print what arrives
                     meanwhile)
  --subscribe PREFIX (sub, xsub) receive messages starting with PREFIX;
                     repeatable; default: everything. An xsub subscribes by
                     sending \\x01PREFIX upstream.
  --reply TEXT       (rep) the reply to every request, instead of an echo
  --group NAME       (radio) the group to send to, required; (dish) a group to
                     join, required, repeatable
  --timeout MS       exit with status 1 if nothing arrives (or nothing can be
                     sent) within MS milliseconds. Once dealer, pair, xpub,
                     xsub, client, channel and a peer that connects have sent
                     their --send values, they print what arrives until
                     nothing has for MS milliseconds, then exit with status 0
                     (without --timeout: until stopped).

Socket options (for the socket of a socket command or of monitor, and in a
proxy for the socket whose TYPE precedes them; each sets the libzmq option of
the same name, and a value the socket refuses is a command line error):
";

const AFTER_SOCKET_OPTIONS: &str = "
Received messages print one per line, parts separated by tabs. A router
prints the sender's routing id first: as text if it is printable UTF-8, else
as 0x and hex digits (such as 0x006B8B4567, an id a ROUTER makes up for a peer
that set none). A server and a peer print the sender's routing id first, in
decimal; a dish prints the group first. An xpub prints subscriptions as
+PREFIX and cancellations as -PREFIX.
Exit status: 0 done, 1 failed or timed out, 2 bad command line.
";
