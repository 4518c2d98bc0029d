//! The machine's physical bound: what plain stream sockets do between two processes, with
//! no messaging library at all.
//!
//! Latency is a ping-pong of `size` bytes over TCP (with `TCP_NODELAY`) or a unix socket,
//! one way being half a round trip. Bandwidth is one side writing large chunks as fast as
//! the kernel takes them and the other timing their arrival from first byte to last.

use crate::error::{BenchError, Result};
use crate::implementations::payload;
use crate::latency::{warm_up, LatencySample};
use crate::peer::{ParentLink, Peer, PeerReport, PeerSpec, Role};
use crate::transport::{ipc_file, Transport};
use std::io::{self, Read, Write};
use std::net::{TcpListener, TcpStream};
use std::os::unix::net::{UnixListener, UnixStream};
use std::time::{Duration, Instant};

/// Bytes per write and per read in the bandwidth test: large enough that system calls
/// are not what limits it.
const CHUNK: usize = 256 * 1024;

/// Bytes moved in a timed interval.
#[derive(Clone, Copy, Debug)]
pub struct BandwidthSample {
    /// Bytes that arrived inside the interval.
    pub bytes: u64,
    /// First byte to last.
    pub elapsed: Duration,
}

impl BandwidthSample {
    /// Megabytes (10⁶ bytes) per second.
    pub fn megabytes_per_second(&self) -> f64 {
        self.bytes as f64 / self.elapsed.as_secs_f64() / 1e6
    }
}

/// Times `round_trips` ping-pongs of `size` bytes between two processes.
pub fn measure_latency(
    transport: Transport,
    size: usize,
    round_trips: u64,
) -> Result<LatencySample> {
    let spec = PeerSpec::new(Role::RawEcho, None, transport, round_trips, size);
    let mut echo = Peer::spawn(&spec)?;
    let endpoint = echo.bound_endpoint()?;
    let (round_trips, elapsed) = Peer::spawn(&spec.connecting(Role::RawPing, endpoint))?
        .report()?
        .measurement()?;
    Ok(LatencySample {
        round_trips,
        elapsed,
    })
}

/// Times `bytes` streamed from one process to another.
pub fn measure_bandwidth(transport: Transport, bytes: u64) -> Result<BandwidthSample> {
    let spec = PeerSpec::new(Role::RawSink, None, transport, bytes, CHUNK);
    let mut sink = Peer::spawn(&spec)?;
    let endpoint = sink.bound_endpoint()?;
    let _source = Peer::spawn(&spec.connecting(Role::RawSource, endpoint))?;
    let (bytes, elapsed) = sink.report()?.measurement()?;
    Ok(BandwidthSample { bytes, elapsed })
}

/// Worker: accepts one connection and echoes `warm-up + count` pings back.
pub fn serve_echo(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let (listener, endpoint) = Listener::bind(spec.transport)?;
    link.bound(&endpoint)?;
    let mut stream = listener.accept()?;
    let mut ping = vec![0; spec.size];
    for _ in 0..warm_up(spec.count) + spec.count {
        stream
            .read_exact(&mut ping)
            .map_err(BenchError::io("reading a ping"))?;
        stream
            .write_all(&ping)
            .map_err(BenchError::io("echoing a ping"))?;
    }
    listener.remove_file();
    Ok(())
}

/// Worker: connects, warms up, times `count` ping-pongs and reports.
pub fn serve_ping(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let mut stream = Stream::connect(spec.endpoint()?)?;
    let mut ping = payload(spec.size);
    let mut round_trip = |stream: &mut Stream| -> Result<()> {
        stream
            .write_all(&ping)
            .map_err(BenchError::io("sending a ping"))?;
        stream
            .read_exact(&mut ping)
            .map_err(BenchError::io("reading a pong"))
    };
    for _ in 0..warm_up(spec.count) {
        round_trip(&mut stream)?;
    }
    let start = Instant::now();
    for _ in 0..spec.count {
        round_trip(&mut stream)?;
    }
    let mut report = PeerReport::with_resources()?;
    report.set_measurement(spec.count, start.elapsed());
    link.report(&report)
}

/// Worker: accepts one connection and times what arrives until it closes.
pub fn serve_sink(spec: &PeerSpec, link: &ParentLink) -> Result<()> {
    let (listener, endpoint) = Listener::bind(spec.transport)?;
    link.bound(&endpoint)?;
    let mut stream = listener.accept()?;
    let mut buffer = vec![0; CHUNK];
    let read = |stream: &mut Stream, buffer: &mut [u8]| {
        stream
            .read(buffer)
            .map_err(BenchError::io("reading the stream"))
    };
    if read(&mut stream, &mut buffer)? == 0 {
        return Err(BenchError::PeerProtocol("the stream was empty".to_string()));
    }
    let start = Instant::now();
    let mut last = start;
    let mut after_first = 0u64;
    loop {
        match read(&mut stream, &mut buffer)? {
            0 => break,
            n => {
                after_first += n as u64;
                last = Instant::now();
            }
        }
    }
    let mut report = PeerReport::with_resources()?;
    report.set_measurement(after_first, last - start);
    link.report(&report)?;
    listener.remove_file();
    Ok(())
}

/// Worker: connects and writes `count` bytes in large chunks, then closes.
pub fn serve_source(spec: &PeerSpec, _link: &ParentLink) -> Result<()> {
    let mut stream = Stream::connect(spec.endpoint()?)?;
    let chunk = payload(spec.size.max(1));
    let mut left = spec.count;
    while left > 0 {
        let n = usize::try_from(left).map_or(chunk.len(), |left| left.min(chunk.len()));
        stream
            .write_all(&chunk[..n])
            .map_err(BenchError::io("writing the stream"))?;
        left -= n as u64;
    }
    Ok(())
}

enum Listener {
    Tcp(TcpListener),
    Unix(UnixListener, String),
}

impl Listener {
    fn bind(transport: Transport) -> Result<(Listener, String)> {
        let endpoint = transport.bind_endpoint();
        match ipc_file(&endpoint) {
            Some(path) => {
                let listener =
                    UnixListener::bind(path).map_err(BenchError::io("binding a unix socket"))?;
                Ok((Listener::Unix(listener, path.to_string()), endpoint))
            }
            None => {
                let listener = TcpListener::bind("127.0.0.1:0")
                    .map_err(BenchError::io("binding a TCP port"))?;
                let address = listener
                    .local_addr()
                    .map_err(BenchError::io("reading the bound port"))?;
                Ok((Listener::Tcp(listener), format!("tcp://{address}")))
            }
        }
    }

    fn accept(&self) -> Result<Stream> {
        match self {
            Listener::Tcp(listener) => {
                let (stream, _) = listener
                    .accept()
                    .map_err(BenchError::io("accepting a connection"))?;
                Stream::tcp(stream)
            }
            Listener::Unix(listener, _) => {
                let (stream, _) = listener
                    .accept()
                    .map_err(BenchError::io("accepting a connection"))?;
                Ok(Stream::Unix(stream))
            }
        }
    }

    fn remove_file(&self) {
        if let Listener::Unix(_, path) = self {
            // Best effort: a stale socket file in the temporary directory harms nothing.
            let _ = std::fs::remove_file(path);
        }
    }
}

enum Stream {
    Tcp(TcpStream),
    Unix(UnixStream),
}

impl Stream {
    fn connect(endpoint: &str) -> Result<Stream> {
        if let Some(path) = ipc_file(endpoint) {
            let stream =
                UnixStream::connect(path).map_err(BenchError::io("connecting a unix socket"))?;
            return Ok(Stream::Unix(stream));
        }
        let address = endpoint
            .strip_prefix("tcp://")
            .ok_or_else(|| BenchError::Usage(format!("not a tcp or ipc endpoint: {endpoint}")))?;
        let stream = TcpStream::connect(address).map_err(BenchError::io("connecting over TCP"))?;
        Stream::tcp(stream)
    }

    fn tcp(stream: TcpStream) -> Result<Stream> {
        // Without it a small ping waits for the previous one's acknowledgement (Nagle),
        // which measures the kernel's patience rather than its speed.
        stream
            .set_nodelay(true)
            .map_err(BenchError::io("setting TCP_NODELAY"))?;
        Ok(Stream::Tcp(stream))
    }
}

impl Read for Stream {
    fn read(&mut self, buffer: &mut [u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(stream) => stream.read(buffer),
            Stream::Unix(stream) => stream.read(buffer),
        }
    }
}

impl Write for Stream {
    fn write(&mut self, bytes: &[u8]) -> io::Result<usize> {
        match self {
            Stream::Tcp(stream) => stream.write(bytes),
            Stream::Unix(stream) => stream.write(bytes),
        }
    }

    fn flush(&mut self) -> io::Result<()> {
        match self {
            Stream::Tcp(stream) => stream.flush(),
            Stream::Unix(stream) => stream.flush(),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn bandwidth_is_bytes_over_time_in_megabytes() {
        let sample = BandwidthSample {
            bytes: 3_000_000_000,
            elapsed: Duration::from_secs(2),
        };
        assert_eq!(sample.megabytes_per_second(), 1500.0);
    }
}
