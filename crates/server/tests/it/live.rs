use futures_util::StreamExt;
use phonghop_testkit::TestServer;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

async fn next_json<S>(ws: &mut S) -> Value
where
    S: futures_util::Stream<
            Item = Result<
                tokio_tungstenite::tungstenite::Message,
                tokio_tungstenite::tungstenite::Error,
            >,
        > + Unpin,
{
    loop {
        let msg = tokio::time::timeout(std::time::Duration::from_secs(10), ws.next())
            .await
            .expect("a live message in time")
            .expect("the socket is open")
            .expect("a message");
        if let tokio_tungstenite::tungstenite::Message::Text(t) = msg {
            return serde_json::from_str(&t).expect("JSON");
        }
    }
}

#[tokio::test]
async fn the_live_channel_says_when_the_feed_moves() {
    let server = TestServer::demo().await;
    let delegate = server.login("daibieu01").await;
    let mut req = format!("ws://{}/api/v1/live", server.addr)
        .into_client_request()
        .unwrap();
    req.headers_mut().insert(
        "authorization",
        format!("Bearer {}", delegate.token.as_ref().unwrap())
            .parse()
            .unwrap(),
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(req)
        .await
        .expect("connect");
    let hello = next_json(&mut ws).await;
    assert_eq!(hello["type"], "hello");
    let start = hello["cursor"].as_u64().unwrap();

    let r = delegate
        .ops(vec![json!({"type": "note.put", "note_id": uuid::Uuid::now_v7(), "text": "Ghi chú", "updated_at": "2026-11-27T08:00:00Z"})])
        .await;
    assert_eq!(r[0]["status"], "accepted");
    let msg = loop {
        let m = next_json(&mut ws).await;
        if m["type"] == "changed" {
            break m;
        }
        assert_eq!(m["type"], "heartbeat");
    };
    assert!(msg["cursor"].as_u64().unwrap() > start);

    // Heartbeats keep coming (2 s in tests).
    let hb = next_json(&mut ws).await;
    assert_eq!(hb["type"], "heartbeat");

    // Browsers pass the token in the query.
    let url = format!(
        "ws://{}/api/v1/live?access_token={}",
        server.addr,
        delegate.token.as_ref().unwrap()
    );
    let (mut ws2, _) = tokio_tungstenite::connect_async(url)
        .await
        .expect("connect with a query token");
    assert_eq!(next_json(&mut ws2).await["type"], "hello");
}

#[tokio::test]
async fn the_live_channel_needs_a_session() {
    let server = TestServer::demo().await;
    let err = tokio_tungstenite::connect_async(format!("ws://{}/api/v1/live", server.addr))
        .await
        .unwrap_err();
    match err {
        tokio_tungstenite::tungstenite::Error::Http(resp) => assert_eq!(resp.status(), 401),
        other => panic!("expected HTTP 401, got {other:?}"),
    }
}

/// A live channel lives no longer than its session: after logging out, or once the
/// account is disabled, the socket closes (and hears nothing more of the meeting).
#[tokio::test]
async fn the_live_channel_closes_when_its_session_ends() {
    let server =
        TestServer::demo_with(|c| c.heartbeat = std::time::Duration::from_millis(200)).await;
    let open = |api: &phonghop_testkit::Api| {
        let url = format!(
            "ws://{}/api/v1/live?access_token={}",
            server.addr,
            api.token.as_ref().unwrap()
        );
        async move {
            let (mut ws, _) = tokio_tungstenite::connect_async(url)
                .await
                .expect("connect");
            assert_eq!(next_json(&mut ws).await["type"], "hello");
            ws
        }
    };
    let closes = |mut ws: tokio_tungstenite::WebSocketStream<
        tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>,
    >| async move {
        let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(15);
        loop {
            match tokio::time::timeout_at(deadline, ws.next()).await {
                Err(_) => panic!("the socket stayed open"),
                Ok(None) | Ok(Some(Err(_))) => return None,
                Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(frame)))) => {
                    return frame.map(|f| f.reason.to_string());
                }
                Ok(Some(Ok(_))) => {}
            }
        }
    };

    let leaving = server.login("daibieu01").await;
    let ws = open(&leaving).await;
    let (status, _) = leaving
        .call(reqwest::Method::DELETE, "/api/v1/sessions/current", None)
        .await;
    assert!(status.is_success(), "{status}");
    assert_eq!(closes(ws).await.as_deref(), Some("the session has ended"));

    let disabled = server.login("daibieu02").await;
    let ws = open(&disabled).await;
    server.store().set_user_disabled("daibieu02", true).unwrap();
    assert_eq!(closes(ws).await.as_deref(), Some("the session has ended"));

    // Someone whose session stands keeps the channel.
    let staying = server.login("daibieu03").await;
    let mut ws = open(&staying).await;
    for _ in 0..5 {
        assert_eq!(next_json(&mut ws).await["type"], "heartbeat");
    }
}

/// The live channel takes small messages only (video signaling): an oversized one closes
/// the socket instead of being buffered, and the server carries on.
#[tokio::test]
async fn an_oversized_message_on_the_live_channel_is_refused() {
    use futures_util::SinkExt;
    let server = TestServer::demo().await;
    let delegate = server.login("daibieu01").await;
    let url = format!(
        "ws://{}/api/v1/live?access_token={}",
        server.addr,
        delegate.token.as_ref().unwrap()
    );
    let (mut ws, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connect");
    assert_eq!(next_json(&mut ws).await["type"], "hello");
    let big = format!(
        "{{\"type\":\"video.sources\",\"sources\":{{\"{}\":\"camera\"}}}}",
        "x".repeat(2 * 1024 * 1024)
    );
    let _ = ws
        .send(tokio_tungstenite::tungstenite::Message::Text(big.into()))
        .await;
    let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(10);
    let closed = loop {
        match tokio::time::timeout_at(deadline, ws.next()).await {
            Err(_) => break false,
            Ok(None)
            | Ok(Some(Err(_)))
            | Ok(Some(Ok(tokio_tungstenite::tungstenite::Message::Close(_)))) => {
                break true;
            }
            Ok(Some(Ok(_))) => {}
        }
    };
    assert!(closed, "the socket took a 2 MiB message");
    // The server is fine, and a normal channel still opens.
    let (mut ws, _) = tokio_tungstenite::connect_async(&url)
        .await
        .expect("connect");
    assert_eq!(next_json(&mut ws).await["type"], "hello");
}
