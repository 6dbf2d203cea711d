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
}

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
        Ok(Live { stream })
    }

    /// The next message from the server; Err when the line drops.
    pub async fn next(&mut self) -> Result<LiveMessage, ClientError> {
        loop {
            match self.stream.next().await {
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
