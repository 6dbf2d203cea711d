//! A signaling link over the server's live WebSocket, for native participants that talk
//! to a real server (tests, the benchmark, later the desktop client). The live channel
//! also carries the feed's own messages (`hello`, `changed`, `heartbeat`); they are not
//! video signals and are skipped here.

use futures_util::{SinkExt, StreamExt};
use tokio::sync::mpsc;
use tokio_tungstenite::tungstenite::Message;

use crate::link::SignalLink;
use crate::signal::{ClientSignal, ServerSignal};

/// Connects to `{base}/api/v1/live` (base `http://…` or `ws://…`) with a session token,
/// or to the guest endpoint with `?invite=` when `token` is `None` and `invite` given.
pub async fn connect_live(
    base: &str,
    token: Option<&str>,
    invite: Option<&str>,
) -> Result<SignalLink, tokio_tungstenite::tungstenite::Error> {
    let base = base
        .trim_end_matches('/')
        .replacen("http://", "ws://", 1)
        .replacen("https://", "wss://", 1);
    let url = match (token, invite) {
        (Some(t), _) => format!("{base}/api/v1/live?access_token={t}"),
        (None, Some(i)) => format!("{base}/api/v1/live?invite={i}"),
        (None, None) => format!("{base}/api/v1/live"),
    };
    let (ws, _) = tokio_tungstenite::connect_async(url).await?;
    let (mut sink, mut stream) = ws.split();
    let (client_tx, mut client_rx) = mpsc::unbounded_channel::<ClientSignal>();
    let (server_tx, server_rx) = mpsc::unbounded_channel::<ServerSignal>();
    tokio::spawn(async move {
        while let Some(msg) = client_rx.recv().await {
            let Ok(text) = serde_json::to_string(&msg) else {
                continue;
            };
            if sink.send(Message::Text(text.into())).await.is_err() {
                break;
            }
        }
        let _ = sink.close().await;
    });
    tokio::spawn(async move {
        while let Some(Ok(msg)) = stream.next().await {
            if let Message::Text(t) = msg
                && let Ok(signal) = serde_json::from_str::<ServerSignal>(&t)
                && server_tx.send(signal).is_err()
            {
                break;
            }
        }
    });
    Ok(SignalLink {
        tx: client_tx,
        rx: server_rx,
    })
}
