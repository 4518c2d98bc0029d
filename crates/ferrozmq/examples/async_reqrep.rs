//! The seed's request-reply pair, async under tokio: a REP server task answers "I am OK!"
//! to each "Are you OK?" from a REQ client, over tcp; the program ends after five rounds.
//!
//! `cargo run -p ferrozmq --example async_reqrep`

use ferrozmq::{AsyncSocket, Context, REP, REQ};

/// Answers every request, until the socket fails.
async fn serve(mut server: AsyncSocket) -> ferrozmq::Result<()> {
    loop {
        let request = server.recv().await?;
        println!("Received: {}", String::from_utf8_lossy(&request));
        server.send("I am OK!").await?;
    }
}

#[tokio::main]
async fn main() -> ferrozmq::Result<()> {
    let context = Context::new();

    let server = context.socket(REP)?.into_async();
    let endpoint = server.bind("tcp://127.0.0.1:*")?;
    tokio::spawn(serve(server));

    let mut client = context.socket(REQ)?.into_async();
    client.connect(&endpoint)?;
    for _ in 0..5 {
        client.send("Are you OK?").await?;
        let response = client.recv().await?;
        println!("response: {}", String::from_utf8_lossy(&response));
    }
    Ok(())
}
