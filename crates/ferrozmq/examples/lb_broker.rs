//! A load-balancing broker (the "LRU queue"): ROUTER sockets on both sides. Each worker
//! says READY when it starts and then answers one request at a time; the broker keeps the
//! ready workers in a queue and hands each client request to the one that has waited
//! longest. Unlike a DEALER's round robin, a slow worker is never given a second request
//! while it is still busy with the first.
//!
//! `cargo run -p ferrozmq --example lb_broker`

use ferrozmq::{Context, Error, Message, POLLIN, REQ, ROUTER};
use std::collections::VecDeque;
use std::thread;
use std::time::Duration;

const CLIENTS: usize = 4;
const WORKERS: usize = 2;
const REQUESTS: usize = 3;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let context = Context::new();
    let frontend = context.socket(ROUTER)?;
    frontend.bind("inproc://clients")?;
    let backend = context.socket(ROUTER)?;
    backend.bind("inproc://workers")?;

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

    // Routing ids of the workers waiting for a request, longest waiting first.
    let mut ready: VecDeque<Message> = VecDeque::new();
    let mut replies = 0;
    while replies < CLIENTS * REQUESTS {
        let mut items = [backend.as_poll_item(POLLIN), frontend.as_poll_item(POLLIN)];
        // Client requests are only taken while a worker is ready for one; meanwhile they
        // wait in the frontend.
        let watched = if ready.is_empty() { 1 } else { 2 };
        if ferrozmq::poll(&mut items[..watched], Some(Duration::from_secs(5)))? == 0 {
            return Err("the broker waited 5 s for a message".into());
        }
        if items[0].is_readable() {
            // [worker id, "", "READY"] or [worker id, "", client id, "", reply]
            let mut message = backend.recv_multipart()?.into_iter();
            ready.extend(message.next());
            let envelope_and_reply: Vec<Message> = message.skip(1).collect();
            if envelope_and_reply.len() > 1 {
                frontend.send_multipart(envelope_and_reply)?;
                replies += 1;
            }
        }
        if watched == 2 && items[1].is_readable() {
            // [client id, "", request].
            let request = frontend.recv_multipart()?;
            let worker = ready.pop_front().expect("a worker is ready");
            let to_worker = [worker, Message::new()].into_iter().chain(request);
            backend.send_multipart(to_worker)?;
        }
    }

    for client in clients {
        client.join().expect("client thread")?;
    }
    context.shutdown();
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

/// A REQ: its first message says it is ready, each reply asks for the next request.
fn worker(context: &Context, n: usize) -> ferrozmq::Result<()> {
    let socket = context.socket(REQ)?;
    socket
        .options()
        .set_routing_id(format!("worker-{n}").as_bytes())?;
    socket.connect("inproc://workers")?;
    socket.send("READY")?;
    loop {
        // [client id, "", request]
        let mut message = match socket.recv_multipart() {
            Ok(message) => message,
            Err(Error::Terminated) => return Ok(()),
            Err(e) => return Err(e),
        };
        let request = message.pop().unwrap_or_default();
        println!("worker-{n} serves {}", String::from_utf8_lossy(&request));
        // Worker 0 is slow: the broker sends it less work.
        thread::sleep(Duration::from_millis(if n == 0 { 30 } else { 5 }));
        let reply = format!(
            "{}, served by worker-{n}",
            String::from_utf8_lossy(&request)
        );
        message.push(Message::from(reply));
        socket.send_multipart(message)?;
    }
}
