//! The live channel: a WebSocket that says when the feed moved, so a pull can follow.

use futures_util::StreamExt;
use phonghop_domain::LiveMessage;
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

use crate::{ClientError, ServerApi};

pub struct Live {
    stream: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >,
    silence: std::time::Duration,
}

/// The server sends a heartbeat every 20 s: a channel silent for three of them is
/// taken for dropped. A line that dies without a reset (Wi-Fi gone, a NAT forgetting
/// the connection) otherwise looks open for good, and the device shows stale data as
/// online — a vote opened meanwhile would never appear.
pub const LIVE_SILENCE_LIMIT: std::time::Duration = std::time::Duration::from_secs(60);

impl Live {
    pub async fn connect(api: &ServerApi) -> Result<Live, ClientError> {
        let mut req = api
            .live_url()
            .into_client_request()
            .map_err(|e| ClientError::Invalid(e.to_string()))?;
        if let Some(t) = &api.token {
            let v = format!("Bearer {t}")
                .parse()
                .map_err(|_| ClientError::Invalid("bad token".into()))?;
            req.headers_mut().insert("authorization", v);
        }
        // A small read buffer: tungstenite zeroes all of it before every read, and the
        // server's messages are small (longer ones are read in pieces).
        let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
            .read_buffer_size(phonghop_domain::LIVE_READ_BUFFER);
        let (stream, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true)
            .await
            .map_err(|e| match e {
                tokio_tungstenite::tungstenite::Error::Http(r) if r.status() == 401 => {
                    ClientError::SessionEnded
                }
                other => ClientError::Offline(other.to_string()),
            })?;
        Ok(Live {
            stream,
            silence: LIVE_SILENCE_LIMIT,
        })
    }

    /// How long the channel may stay silent before [`Live::next`] calls it dropped.
    pub fn with_silence_limit(mut self, limit: std::time::Duration) -> Live {
        self.silence = limit;
        self
    }

    /// The next message from the server; Err when the line drops or goes silent.
    pub async fn next(&mut self) -> Result<LiveMessage, ClientError> {
        loop {
            let Ok(next) = tokio::time::timeout(self.silence, self.stream.next()).await else {
                return Err(ClientError::Offline(format!(
                    "the live channel was silent for {} s",
                    self.silence.as_secs()
                )));
            };
            match next {
                Some(Ok(Message::Text(t))) => {
                    if let Ok(m) = serde_json::from_str::<LiveMessage>(&t) {
                        return Ok(m);
                    }
                }
                Some(Ok(Message::Close(_))) | None => {
                    return Err(ClientError::Offline("the live channel closed".into()));
                }
                Some(Err(e)) => return Err(ClientError::Offline(e.to_string())),
                Some(Ok(_)) => {}
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use futures_util::SinkExt;

    /// A server that says hello and then nothing, the connection left open: the channel
    /// is called dropped once its silence limit passes.
    #[tokio::test]
    async fn a_silent_channel_counts_as_dropped() {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
        let port = listener.local_addr().unwrap().port();
        let server = tokio::spawn(async move {
            let (tcp, _) = listener.accept().await.unwrap();
            let mut ws = tokio_tungstenite::accept_async(tcp).await.unwrap();
            ws.send(Message::Text(r#"{"type":"hello","cursor":7}"#.into()))
                .await
                .unwrap();
            tokio::time::sleep(std::time::Duration::from_secs(30)).await;
            drop(ws);
        });
        let api = ServerApi::new(&format!("http://127.0.0.1:{port}"), Some("t".into())).unwrap();
        let mut live = Live::connect(&api)
            .await
            .unwrap()
            .with_silence_limit(std::time::Duration::from_millis(300));
        assert_eq!(live.next().await.unwrap(), LiveMessage::Hello { cursor: 7 });
        let t = std::time::Instant::now();
        let e = live.next().await.unwrap_err();
        assert!(matches!(e, ClientError::Offline(_)), "{e}");
        assert!(t.elapsed() < std::time::Duration::from_secs(5));
        server.abort();
    }
}
