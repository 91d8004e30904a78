//! A small hostile HTTP/1.1 server on loopback, for tests that attack the client: it answers
//! with whatever bytes a test asks for (redirects, endless bodies, stalls) and records every
//! request it receives, so a test can check what reached it.

use std::sync::{Arc, Mutex};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};

/// One request as received: the head (request line and headers) and the body.
#[derive(Clone, Debug)]
pub struct Received {
    pub head: String,
    pub body: Vec<u8>,
}

impl Received {
    /// The request line's path, e.g. `/v1/balance?externalId=x`.
    pub fn path(&self) -> &str {
        self.head.split(' ').nth(1).unwrap_or("")
    }
}

/// What the server does with a request.
#[derive(Clone, Debug)]
pub enum Reply {
    /// Writes these bytes, then closes the connection.
    Raw(Vec<u8>),
    /// Never answers; the connection stays open.
    Stall,
    /// Writes these bytes (e.g. a head and part of a body), then stalls.
    PartialThenStall(Vec<u8>),
    /// Writes `head`, then `total` bytes of body (`None`: without end), as chunks when
    /// `chunked`, otherwise as raw bytes ended by closing the connection.
    Stream { head: String, total: Option<u64>, chunked: bool },
}

impl Reply {
    /// A complete response with a JSON body.
    pub fn json(status: u16, body: &str) -> Self {
        Reply::Raw(
            format!(
                "HTTP/1.1 {status} X\r\ncontent-type: application/json\r\ncontent-length: {}\r\nconnection: close\r\n\r\n{body}",
                body.len()
            )
            .into_bytes(),
        )
    }

    /// A redirect to `location`.
    pub fn redirect(status: u16, location: &str) -> Self {
        Reply::Raw(
            format!(
                "HTTP/1.1 {status} Moved\r\nlocation: {location}\r\ncontent-length: 0\r\nconnection: close\r\n\r\n"
            )
            .into_bytes(),
        )
    }
}

type Handler = Arc<dyn Fn(usize, &Received) -> Reply + Send + Sync>;

/// A running hostile server; stops when dropped.
pub struct Hostile {
    port: u16,
    received: Arc<Mutex<Vec<Received>>>,
    task: tokio::task::JoinHandle<()>,
}

impl Hostile {
    /// Starts a server on 127.0.0.1 that answers the `n`-th request (from 0) with
    /// `handler(n, &request)`.
    pub async fn start(handler: impl Fn(usize, &Received) -> Reply + Send + Sync + 'static) -> Hostile {
        let listener = TcpListener::bind("127.0.0.1:0").await.expect("bind a loopback port");
        let port = listener.local_addr().expect("local address").port();
        let received = Arc::new(Mutex::new(Vec::new()));
        let handler: Handler = Arc::new(handler);
        let task = {
            let received = received.clone();
            tokio::spawn(async move {
                while let Ok((stream, _)) = listener.accept().await {
                    let (received, handler) = (received.clone(), handler.clone());
                    tokio::spawn(async move {
                        let _ = serve(stream, received, handler).await;
                    });
                }
            })
        };
        Hostile { port, received, task }
    }

    /// A server that answers every request the same way.
    pub async fn always(reply: Reply) -> Hostile {
        Hostile::start(move |_, _| reply.clone()).await
    }

    /// `http://127.0.0.1:<port>`.
    pub fn url(&self) -> String {
        format!("http://127.0.0.1:{}", self.port)
    }

    pub fn port(&self) -> u16 {
        self.port
    }

    /// Every request received so far.
    pub fn received(&self) -> Vec<Received> {
        self.received.lock().map(|r| r.clone()).unwrap_or_default()
    }
}

impl Drop for Hostile {
    fn drop(&mut self) {
        self.task.abort();
    }
}

async fn serve(mut stream: TcpStream, received: Arc<Mutex<Vec<Received>>>, handler: Handler) -> std::io::Result<()> {
    // One request per connection: every reply closes or stalls it.
    let Some(request) = read_request(&mut stream).await? else { return Ok(()) };
    let n = {
        let mut all = received.lock().map_err(|_| std::io::Error::other("poisoned"))?;
        all.push(request.clone());
        all.len() - 1
    };
    match handler(n, &request) {
        Reply::Raw(bytes) => {
            stream.write_all(&bytes).await?;
            stream.shutdown().await
        }
        Reply::Stall => stall(stream).await,
        Reply::PartialThenStall(bytes) => {
            stream.write_all(&bytes).await?;
            stream.flush().await?;
            stall(stream).await
        }
        Reply::Stream { head, total, chunked } => {
            stream.write_all(head.as_bytes()).await?;
            let block = vec![b'0'; 64 * 1024];
            let mut sent = 0u64;
            while total.is_none_or(|total| sent < total) {
                let n = total.map_or(block.len() as u64, |t| (t - sent).min(block.len() as u64)) as usize;
                if chunked {
                    stream.write_all(format!("{n:x}\r\n").as_bytes()).await?;
                    stream.write_all(&block[..n]).await?;
                    stream.write_all(b"\r\n").await?;
                } else {
                    stream.write_all(&block[..n]).await?;
                }
                sent += n as u64;
            }
            if chunked {
                stream.write_all(b"0\r\n\r\n").await?;
            }
            stream.shutdown().await
        }
    }
}

async fn stall(stream: TcpStream) -> std::io::Result<()> {
    tokio::time::sleep(Duration::from_secs(600)).await;
    drop(stream);
    Ok(())
}

/// Reads one request (head and a `content-length` body); `None` when the peer closed first.
async fn read_request(stream: &mut TcpStream) -> std::io::Result<Option<Received>> {
    let mut buffer = Vec::new();
    let mut byte = [0u8; 1024];
    let head_end = loop {
        if let Some(at) = buffer.windows(4).position(|w| w == b"\r\n\r\n") {
            break at + 4;
        }
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            return Ok(None);
        }
        buffer.extend_from_slice(&byte[..n]);
    };
    let head = String::from_utf8_lossy(&buffer[..head_end]).into_owned();
    let length = head
        .lines()
        .find_map(|line| {
            let (name, value) = line.split_once(':')?;
            name.trim().eq_ignore_ascii_case("content-length").then(|| value.trim().parse::<usize>().ok())?
        })
        .unwrap_or(0);
    let mut body = buffer[head_end..].to_vec();
    while body.len() < length {
        let n = stream.read(&mut byte).await?;
        if n == 0 {
            break;
        }
        body.extend_from_slice(&byte[..n]);
    }
    Ok(Some(Received { head, body }))
}
