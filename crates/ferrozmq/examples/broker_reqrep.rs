//! Extended request-reply: REQ clients talk to the broker's ROUTER, REP workers to its
//! DEALER, and the broker passes requests and replies between them. The ROUTER adds the
//! client's routing id to each request and the REP hands it back with the reply, so the
//! reply finds its way to the right client although neither side knows the other.
//!
//! `cargo run -p ferrozmq --example broker_reqrep`

use ferrozmq::{Context, Error, DEALER, REP, REQ, ROUTER};
use std::thread;

const CLIENTS: usize = 3;
const WORKERS: usize = 2;
const REQUESTS: usize = 4;

fn main() -> ferrozmq::Result<()> {
    let context = Context::new();
    let frontend = context.socket(ROUTER)?;
    frontend.bind("inproc://clients")?;
    let backend = context.socket(DEALER)?;
    backend.bind("inproc://workers")?;
    let broker = thread::spawn(move || ferrozmq::proxy(&frontend, &backend));

    let workers: Vec<_> = (0..WORKERS)
        .map(|n| {
            let context = context.clone();
            thread::spawn(move || worker(&context, n))
        })
        .collect();
    let clients: Vec<_> = (0..CLIENTS)
        .map(|n| {
            let context = context.clone();
            thread::spawn(move || client(&context, n))
        })
        .collect();
    for client in clients {
        client.join().expect("client thread")?;
    }

    // Every client has its replies: stop the broker and the workers.
    context.shutdown();
    match broker.join().expect("broker thread") {
        Err(Error::Terminated) => {}
        other => return other,
    }
    for worker in workers {
        worker.join().expect("worker thread")?;
    }
    Ok(())
}

fn client(context: &Context, n: usize) -> ferrozmq::Result<()> {
    let socket = context.socket(REQ)?;
    socket.connect("inproc://clients")?;
    for i in 0..REQUESTS {
        socket.send(format!("request {i} of client {n}"))?;
        let reply = socket.recv()?;
        println!("client {n} got: {}", reply.as_str().unwrap_or_default());
    }
    Ok(())
}

/// Serves requests until the context shuts down.
fn worker(context: &Context, n: usize) -> ferrozmq::Result<()> {
    let socket = context.socket(REP)?;
    socket.connect("inproc://workers")?;
    loop {
        let request = match socket.recv() {
            Ok(request) => request.as_str().unwrap_or_default().to_string(),
            Err(Error::Terminated) => return Ok(()),
            Err(e) => return Err(e),
        };
        println!("worker {n} serves {request}");
        socket.send(format!("{request}, served by worker {n}"))?;
    }
}
