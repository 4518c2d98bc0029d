//! An async ROUTER service: eight DEALER clients send their requests at once; the service
//! handles each request in a task of its own, so replies finish in any order, and routes
//! every reply back to its client by the client's routing id. The program ends when every
//! client has all its replies.
//!
//! `cargo run -p ferrozmq --example async_router_service`

use ferrozmq::{AsyncSocket, Context, Message, DEALER, ROUTER};
use std::time::Duration;
use tokio::sync::mpsc;

const CLIENTS: usize = 8;
const REQUESTS: usize = 5;

/// The work a request asks for: it takes a while, longer for some requests than others.
async fn handle(request: Message) -> String {
    let text = String::from_utf8_lossy(&request).into_owned();
    let delay = text.bytes().map(u64::from).sum::<u64>() % 20;
    tokio::time::sleep(Duration::from_millis(delay)).await;
    format!("done: {text}")
}

/// Receives requests and sends replies. Only this task uses the ROUTER: handlers hand
/// their replies back over a channel. `select!` drops the receive whenever a reply is ready
/// first, which loses nothing: the socket's futures are cancel-safe.
async fn serve(mut router: AsyncSocket) -> ferrozmq::Result<()> {
    let (reply_to, mut replies) = mpsc::channel::<Vec<Message>>(64);
    loop {
        tokio::select! {
            request = router.recv_multipart() => {
                // The client's routing id, the empty delimiter, then the request.
                let mut envelope = request?;
                let Some(body) = envelope.pop() else { continue };
                let reply_to = reply_to.clone();
                tokio::spawn(async move {
                    envelope.push(handle(body).await.into());
                    // The service is gone only when the program ends.
                    let _ = reply_to.send(envelope).await;
                });
            }
            Some(reply) = replies.recv() => router.send_multipart(reply).await?,
        }
    }
}

/// Sends every request, then takes the replies as they come.
async fn ask(id: usize, mut dealer: AsyncSocket) -> ferrozmq::Result<()> {
    for n in 0..REQUESTS {
        let request = format!("client {id} request {n}");
        dealer.send_multipart(["", request.as_str()]).await?;
    }
    for _ in 0..REQUESTS {
        let reply = dealer.recv_multipart().await?;
        let text = reply
            .last()
            .map(|part| String::from_utf8_lossy(part).into_owned());
        let text = text.unwrap_or_default();
        assert!(text.starts_with(&format!("done: client {id} ")), "{text}");
        println!("client {id} got \"{text}\"");
    }
    Ok(())
}

#[tokio::main]
async fn main() -> ferrozmq::Result<()> {
    let context = Context::new();
    let router = context.socket(ROUTER)?.into_async();
    let endpoint = router.bind("tcp://127.0.0.1:*")?;
    tokio::spawn(serve(router));

    let mut clients = Vec::new();
    for id in 0..CLIENTS {
        let dealer = context.socket(DEALER)?.into_async();
        dealer
            .options()
            .set_routing_id(format!("client-{id}").as_bytes())?;
        dealer.connect(&endpoint)?;
        clients.push(tokio::spawn(ask(id, dealer)));
    }
    for client in clients {
        client.await.expect("client task")?;
    }
    println!("{} requests served", CLIENTS * REQUESTS);
    Ok(())
}
