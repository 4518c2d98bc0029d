//! The demo: the seed's three patterns, every side in this one process, over loopback
//! tcp on ephemeral ports, printing what the seed's programs print.

use crate::error::CliError;
use crate::output::Output;
use ferrozmq::{Context, Error, Socket, SocketType, PUB, PULL, PUSH, REP, REQ, SUB};
use std::time::Duration;

/// How long any step may wait: a step that takes longer is a bug, reported rather than
/// left to hang the demo.
const STEP_TIMEOUT: Duration = Duration::from_secs(5);
/// How long a subscriber waits for one broadcast before the publisher sends again.
const BROADCAST_WAIT: Duration = Duration::from_millis(100);
/// Broadcasts each subscriber prints, as in the seed's output.
const BROADCASTS_WANTED: usize = 3;
/// Broadcasts after which subscribers that still miss some are a bug.
const BROADCASTS_MAX: usize = 100;
/// What the demo says of a broadcast no subscriber received.
const LOST_BROADCAST: &str = "(lost, by design: no subscription had reached the \
    publisher yet, and a publisher sends only to the subscriptions it has; see --wait-peers)";
/// Messages through the pipeline, as in the seed's output.
const PIPELINE_MESSAGES: usize = 3;

/// Runs the three patterns in turn.
pub fn run(out: &mut Output) -> Result<(), CliError> {
    let ctx = Context::new();
    out.line("== REQ-REP ==")?;
    request_reply(&ctx, out)?;
    out.line("== PUB-SUB ==")?;
    publish_subscribe(&ctx, out)?;
    out.line("== PIPELINE ==")?;
    pipeline(&ctx, out)
}

/// The seed's server answers the client's one question.
fn request_reply(ctx: &Context, out: &mut Output) -> Result<(), CliError> {
    let server = socket(ctx, REP)?;
    let endpoint = bind_ephemeral(&server)?;
    let client = socket(ctx, REQ)?;
    connect(&client, &endpoint)?;

    client
        .send("Are you OK?")
        .map_err(failed("the client's request"))?;
    let request = recv_text(&server, "the server's receive")?;
    out.line(&format!("Received: {request}"))?;
    server
        .send("I am OK!")
        .map_err(failed("the server's reply"))?;
    let response = recv_text(&client, "the client's receive")?;
    out.line(&format!("response: {response}"))
}

/// The seed's publisher broadcasts to two subscribers. A subscription takes a moment to
/// reach the publisher and broadcasts sent before it arrives are lost (the demo says so
/// when it happens, as it usually does to the first), so the publisher goes on until both
/// subscribers have printed their share.
fn publish_subscribe(ctx: &Context, out: &mut Output) -> Result<(), CliError> {
    let publisher = socket(ctx, PUB)?;
    let endpoint = bind_ephemeral(&publisher)?;
    let subscribers = [socket(ctx, SUB)?, socket(ctx, SUB)?];
    for subscriber in &subscribers {
        subscriber
            .subscribe(b"")
            .and_then(|()| subscriber.options().set_rcvtimeo(Some(BROADCAST_WAIT)))
            .map_err(failed("setting up a subscriber"))?;
        connect(subscriber, &endpoint)?;
    }

    let mut received = [0; 2];
    for _ in 0..BROADCASTS_MAX {
        if received.iter().all(|&n| n >= BROADCASTS_WANTED) {
            return Ok(());
        }
        publisher
            .send("消息群发")
            .map_err(failed("the publisher's send"))?;
        out.line("发送消息")?;
        let mut reached = 0;
        for (subscriber, count) in subscribers.iter().zip(&mut received) {
            if *count >= BROADCASTS_WANTED {
                continue;
            }
            match subscriber.recv().map(Vec::from) {
                Ok(message) => {
                    out.line(&format!("response: {}", String::from_utf8_lossy(&message)))?;
                    *count += 1;
                    reached += 1;
                }
                // Not subscribed yet: the next broadcast will tell.
                Err(Error::Again) => {}
                Err(e) => return Err(failed("a subscriber's receive")(e)),
            }
        }
        if reached == 0 {
            out.line(LOST_BROADCAST)?;
        }
    }
    Err(CliError::failed(format!(
        "demo: the subscribers received {received:?} of {BROADCASTS_WANTED} broadcasts \
         after {BROADCASTS_MAX} were sent"
    )))
}

/// The seed's ventilator pushes work through a worker to a sink.
fn pipeline(ctx: &Context, out: &mut Output) -> Result<(), CliError> {
    let ventilator = socket(ctx, PUSH)?;
    let work = bind_ephemeral(&ventilator)?;
    let sink = socket(ctx, PULL)?;
    let results = bind_ephemeral(&sink)?;
    let worker_in = socket(ctx, PULL)?;
    connect(&worker_in, &work)?;
    let worker_out = socket(ctx, PUSH)?;
    connect(&worker_out, &results)?;

    for _ in 0..PIPELINE_MESSAGES {
        ventilator
            .send("测试消息")
            .map_err(failed("the ventilator's send"))?;
        out.line("已发送")?;
        let data = worker_in.recv().map_err(failed("the worker's receive"))?;
        out.line("正在转发...")?;
        worker_out.send(data).map_err(failed("the worker's send"))?;
        let response = recv_text(&sink, "the sink's receive")?;
        out.line(&format!("response: {response}"))?;
    }
    Ok(())
}

/// A socket that never waits longer than a step may and drops what is left at exit:
/// the demo has read everything it cares about by then.
fn socket(ctx: &Context, socket_type: SocketType) -> Result<Socket, CliError> {
    let socket = ctx.socket(socket_type).map_err(failed("making a socket"))?;
    socket
        .options()
        .set_linger(Some(Duration::ZERO))
        .and_then(|()| socket.options().set_rcvtimeo(Some(STEP_TIMEOUT)))
        .and_then(|()| socket.options().set_sndtimeo(Some(STEP_TIMEOUT)))
        .map_err(failed("setting socket options"))?;
    Ok(socket)
}

/// Binds to a free loopback port and gives the endpoint to connect to.
fn bind_ephemeral(socket: &Socket) -> Result<String, CliError> {
    socket
        .bind("tcp://127.0.0.1:*")
        .map_err(failed("binding to loopback"))
}

fn connect(socket: &Socket, endpoint: &str) -> Result<(), CliError> {
    socket
        .connect(endpoint)
        .map_err(failed("connecting over loopback"))
}

fn recv_text(socket: &Socket, step: &'static str) -> Result<String, CliError> {
    let bytes = socket.recv().map(Vec::from).map_err(failed(step))?;
    Ok(String::from_utf8_lossy(&bytes).into_owned())
}

/// Turns a library error in `step` into the demo's failure.
fn failed(step: &'static str) -> impl Fn(Error) -> CliError {
    move |e| match e {
        Error::Again => CliError::failed(format!("demo: {step} timed out after {STEP_TIMEOUT:?}")),
        e => CliError::failed(format!("demo: {step} failed: {e}")),
    }
}
