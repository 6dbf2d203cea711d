use phonghop_testkit::{Api, DEMO_PASSWORD, TestServer, new_device};
use reqwest::StatusCode;
use serde_json::json;

fn login_body(username: &str, password: &str) -> serde_json::Value {
    json!({"username": username, "password": password, "device": new_device("máy tính bảng")})
}

#[tokio::test]
async fn right_password_opens_a_session_and_wrong_one_does_not() {
    let server = TestServer::demo().await;
    let anon = Api::anonymous(&server.url());

    let (status, body) = anon
        .post("/api/v1/sessions", login_body("daibieu01", DEMO_PASSWORD))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["user"]["username"], "daibieu01");
    assert_eq!(body["user"]["role"], "delegate");
    let token = body["token"].as_str().unwrap().to_owned();

    let me = Api {
        token: Some(token.clone()),
        ..anon.clone()
    };
    let (status, body) = me.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["username"], "daibieu01");

    let (status, body) = anon
        .post("/api/v1/sessions", login_body("daibieu01", "sai-mat-khau"))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "bad_credentials");
    let (status, body) = anon
        .post("/api/v1/sessions", login_body("khong-co-ai", DEMO_PASSWORD))
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "bad_credentials");

    // The server keeps only the token's hash; logging out ends the session.
    let (status, _) = me
        .call(reqwest::Method::DELETE, "/api/v1/sessions/current", None)
        .await;
    assert_eq!(status, StatusCode::NO_CONTENT);
    let (status, body) = me.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");

    // Both attempts are in the login log and the audit log.
    let entries = server.store().audit_entries().unwrap();
    assert!(
        entries
            .iter()
            .any(|e| e.action == "login.failed" && e.actor == "daibieu01")
    );
    assert!(
        entries
            .iter()
            .any(|e| e.action == "login" && e.actor == "daibieu01")
    );
    assert!(entries.iter().any(|e| e.action == "logout"));
}

#[tokio::test]
async fn repeated_failures_throttle_the_account_even_for_the_right_password() {
    let server = TestServer::demo().await;
    let anon = Api::anonymous(&server.url());
    for _ in 0..5 {
        let (status, _) = anon
            .post("/api/v1/sessions", login_body("daibieu02", "doan-mo"))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
    }
    let resp = anon
        .request(reqwest::Method::POST, "/api/v1/sessions")
        .json(&login_body("daibieu02", DEMO_PASSWORD))
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::TOO_MANY_REQUESTS);
    assert!(resp.headers().get("retry-after").is_some());
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "throttled");
    // Another account from the same address is not locked by these five.
    let (status, _) = anon
        .post("/api/v1/sessions", login_body("daibieu03", DEMO_PASSWORD))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

/// The same server, as seen from another loopback address.
fn from_address(server: &TestServer, ip: [u8; 4]) -> Api {
    Api {
        http: reqwest::Client::builder()
            .local_address(std::net::IpAddr::from(ip))
            .build()
            .unwrap(),
        ..Api::anonymous(&server.url())
    }
}

#[tokio::test]
async fn guesses_sent_at_once_are_throttled_like_guesses_sent_one_by_one() {
    let server = TestServer::demo().await;
    let anon = Api::anonymous(&server.url());
    let guesses = (0..30).map(|i| {
        let anon = anon.clone();
        async move {
            anon.post(
                "/api/v1/sessions",
                login_body("daibieu05", &format!("doan-{i}")),
            )
            .await
            .0
        }
    });
    let statuses = futures_util::future::join_all(guesses).await;
    let checked = statuses
        .iter()
        .filter(|s| **s == StatusCode::UNAUTHORIZED)
        .count();
    assert!(
        checked <= 5,
        "{checked} passwords were checked: {statuses:?}"
    );
    assert!(
        statuses
            .iter()
            .all(|s| *s == StatusCode::UNAUTHORIZED || *s == StatusCode::TOO_MANY_REQUESTS),
        "{statuses:?}"
    );
    let (status, _) = anon
        .post("/api/v1/sessions", login_body("daibieu05", DEMO_PASSWORD))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);

    // The guesser has not locked the delegate out: from another address the right
    // password works.
    let (status, body) = from_address(&server, [127, 0, 0, 2])
        .post("/api/v1/sessions", login_body("daibieu05", DEMO_PASSWORD))
        .await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
}

#[tokio::test]
async fn behind_a_trusted_proxy_failures_count_per_client() {
    // The tests' requests come from 127.0.0.1, standing in for a TLS proxy.
    let server =
        TestServer::demo_with(|c| c.trusted_proxies = vec!["127.0.0.1".parse().unwrap()]).await;
    let anon = Api::anonymous(&server.url());
    let login = |from: &'static str, password: &'static str| {
        anon.request(reqwest::Method::POST, "/api/v1/sessions")
            .header("x-forwarded-for", from)
            .json(&login_body("daibieu06", password))
            .send()
    };
    for _ in 0..5 {
        assert_eq!(
            login("10.1.1.1", "doan-mo").await.unwrap().status(),
            StatusCode::UNAUTHORIZED
        );
    }
    assert_eq!(
        login("10.1.1.1", DEMO_PASSWORD).await.unwrap().status(),
        StatusCode::TOO_MANY_REQUESTS
    );
    // Another client through the same proxy is not locked out by the guesser.
    assert_eq!(
        login("10.2.2.2", DEMO_PASSWORD).await.unwrap().status(),
        StatusCode::CREATED
    );
}

#[tokio::test]
async fn a_name_no_account_can_have_is_refused_and_not_kept() {
    let server = TestServer::demo().await;
    let anon = Api::anonymous(&server.url());
    let long = "x".repeat(100_000);
    for name in [long.as_str(), "Nguyễn Văn An"] {
        let (status, body) = anon
            .post("/api/v1/sessions", login_body(name, "mat-khau"))
            .await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(body["code"], "bad_credentials");
    }
    let entries = server.store().audit_entries().unwrap();
    assert!(
        entries
            .iter()
            .all(|e| e.actor != long && e.actor != "Nguyễn Văn An"),
        "the guessed names reached the audit log"
    );
}

#[tokio::test]
async fn throttling_ends_after_the_lock() {
    let server = TestServer::demo_with(|c| {
        c.login_max_failures = 2;
        c.login_lock = std::time::Duration::from_millis(300);
    })
    .await;
    let anon = Api::anonymous(&server.url());
    for _ in 0..2 {
        anon.post("/api/v1/sessions", login_body("daibieu04", "x-sai-roi"))
            .await;
    }
    let (status, _) = anon
        .post("/api/v1/sessions", login_body("daibieu04", DEMO_PASSWORD))
        .await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    tokio::time::sleep(std::time::Duration::from_millis(400)).await;
    let (status, _) = anon
        .post("/api/v1/sessions", login_body("daibieu04", DEMO_PASSWORD))
        .await;
    assert_eq!(status, StatusCode::CREATED);
}

#[tokio::test]
async fn a_session_ends_at_its_maximum_age() {
    let server = TestServer::demo_with(|c| {
        c.session_max_age = std::time::Duration::from_millis(1500);
    })
    .await;
    let api = server.login("daibieu07").await;
    assert_eq!(api.get("/api/v1/me").await.0, StatusCode::OK);
    tokio::time::sleep(std::time::Duration::from_millis(1800)).await;
    let (status, body) = api.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");
    assert!(
        body["message"].as_str().unwrap().contains("expired"),
        "{body}"
    );
    // Logging in again gives a new session.
    let again = server.login("daibieu07").await;
    assert_eq!(again.get("/api/v1/me").await.0, StatusCode::OK);
}

#[tokio::test]
async fn disabled_accounts_lose_their_sessions_and_cannot_log_in() {
    let server = TestServer::demo().await;
    let api = server.login("khach01").await;
    server.store().set_user_disabled("khach01", true).unwrap();
    let (status, _) = api.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    let (status, body) = Api::anonymous(&server.url())
        .post("/api/v1/sessions", login_body("khach01", DEMO_PASSWORD))
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "account_disabled");
}

#[tokio::test]
async fn bad_login_requests_are_clear_4xx() {
    let server = TestServer::demo().await;
    let anon = Api::anonymous(&server.url());
    let mut bad_key = login_body("daibieu01", DEMO_PASSWORD);
    bad_key["device"]["public_key"] = json!("bm90LWEta2V5");
    let (status, body) = anon.post("/api/v1/sessions", bad_key).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "validation");

    let (status, body) = anon.post("/api/v1/sessions", json!({"username": 5})).await;
    assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
    assert_eq!(body["code"], "bad_json");

    let resp = anon
        .request(reqwest::Method::POST, "/api/v1/sessions")
        .header("content-type", "application/json")
        .body("{\"username\": ")
        .send()
        .await
        .unwrap();
    assert_eq!(resp.status(), StatusCode::BAD_REQUEST);
    let body: serde_json::Value = resp.json().await.unwrap();
    assert_eq!(body["code"], "bad_json");

    let (status, body) = anon.get("/api/v1/me").await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(body["code"], "unauthenticated");
    let (status, body) = anon.get("/api/v1/no-such-thing").await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
    let (status, body) = anon
        .call(reqwest::Method::PATCH, "/api/v1/sessions", None)
        .await;
    assert_eq!(status, StatusCode::METHOD_NOT_ALLOWED);
    assert_eq!(body["code"], "method_not_allowed");
}

#[tokio::test]
async fn the_openapi_document_describes_every_route() {
    let server = TestServer::empty().await;
    let (status, doc) = Api::anonymous(&server.url())
        .get("/api/v1/openapi.json")
        .await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(doc["openapi"], "3.1.0");
    for (path, method) in [
        ("/sessions", "post"),
        ("/sessions/current", "delete"),
        ("/me", "get"),
        ("/trust", "get"),
        ("/changes", "get"),
        ("/ops", "post"),
        ("/live", "get"),
        ("/blobs/{sha256}", "get"),
        ("/blobs/{sha256}", "put"),
        ("/openapi.json", "get"),
        ("/meetings/{id}/video/invitations", "post"),
        ("/meetings/{id}/video/invitations", "get"),
        ("/meetings/{id}/video/invitations/{inv}", "delete"),
        ("/meetings/{id}/video", "get"),
        ("/video/invitations/{token}", "get"),
    ] {
        assert!(
            doc["paths"][path][method].is_object(),
            "{method} {path} is not described"
        );
    }
}
