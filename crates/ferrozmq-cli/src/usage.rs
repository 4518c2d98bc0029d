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
  proxy    forward messages both ways between two sockets

Endpoints:
  @tcp://*:5555         bind
  >tcp://host:5555      connect
  tcp://host:5555       rep, pub and pull bind; the others connect
  Several endpoints may be given; ipc:// endpoints work too.

Options (socket commands):
  --send TEXT        a message to send; repeat for several, sent in turn.
                     Without --send, each line of standard input is a message.
  --count N          stop after N messages sent or received (req, rep: N round
                     trips). Without it, --send values go once each, and the
                     receiving types run until stopped.
  --interval MS      wait MS milliseconds between sends
  --subscribe PREFIX (sub) receive messages starting with PREFIX; repeatable;
                     default: everything
  --reply TEXT       (rep) the reply to every request, instead of an echo
  --timeout MS       exit with status 1 if nothing arrives (or nothing can be
                     sent) within MS milliseconds
  --linger MS        how long to keep delivering unsent messages at exit
                     (-1: until delivered); default: the --timeout if given,
                     else -1

Received messages print one per line, parts separated by tabs.
Exit status: 0 done, 1 failed or timed out, 2 bad command line.
",
        types = supported_type_names()
    )
}
