use std::time::Duration;

#[tokio::test]
async fn serves_https_with_the_given_certificate() {
    let tmp = tempfile::tempdir().unwrap();
    phonghop_testkit::init_data_dir(tmp.path()).unwrap();
    let cert = rcgen::generate_simple_self_signed(vec!["localhost".to_owned()]).unwrap();
    let (cert_pem, key_pem) = (cert.cert.pem(), cert.key_pair.serialize_pem());
    std::fs::write(tmp.path().join("cert.pem"), &cert_pem).unwrap();
    std::fs::write(tmp.path().join("key.pem"), &key_pem).unwrap();

    let server = phonghop_server::start(
        phonghop_server::Config::new(tmp.path()),
        "127.0.0.1:0".parse().unwrap(),
        Some(phonghop_server::Tls {
            cert: tmp.path().join("cert.pem"),
            key: tmp.path().join("key.pem"),
        }),
    )
    .await
    .unwrap();
    let port = server.addr.port();
    let client = reqwest::Client::builder()
        .add_root_certificate(reqwest::Certificate::from_pem(cert_pem.as_bytes()).unwrap())
        .resolve("localhost", server.addr)
        .build()
        .unwrap();
    let body = client
        .get(format!("https://localhost:{port}/healthz"))
        .send()
        .await
        .unwrap()
        .text()
        .await
        .unwrap();
    assert_eq!(body, "ok");
    // Plain HTTP to the TLS port gets nothing useful.
    let plain = reqwest::Client::new()
        .get(format!("http://127.0.0.1:{port}/healthz"))
        .send()
        .await;
    assert!(plain.is_err() || !plain.unwrap().status().is_success());
    server.shutdown(Duration::from_millis(100)).await.unwrap();
}
