use phonghop_testkit::{Api, TestServer};
use reqwest::{Method, StatusCode};
use sha2::{Digest, Sha256};

async fn a_document_of(api: &Api) -> (String, u64) {
    let (changes, _, _) = api.pull(0, 5000).await;
    let doc = changes
        .iter()
        .find(|c| c["type"] == "document")
        .expect("a document");
    let v = &doc["versions"][0];
    (
        v["sha256"].as_str().unwrap().to_owned(),
        v["size"].as_u64().unwrap(),
    )
}

fn hex_sha(bytes: &[u8]) -> String {
    hex::encode(Sha256::digest(bytes))
}

#[tokio::test]
async fn a_download_resumes_with_range_and_revalidates_with_etag() {
    let server = TestServer::demo().await;
    let api = server.login("daibieu01").await;
    let (sha, size) = a_document_of(&api).await;
    let path = format!("/api/v1/blobs/{sha}");

    let full = api.request(Method::GET, &path).send().await.unwrap();
    assert_eq!(full.status(), StatusCode::OK);
    assert_eq!(full.headers()["accept-ranges"], "bytes");
    let etag = full.headers()["etag"].to_str().unwrap().to_owned();
    assert_eq!(etag, format!("\"{sha}\""));
    let full = full.bytes().await.unwrap();
    assert_eq!(full.len() as u64, size);
    assert_eq!(hex_sha(&full), sha);

    // A cut after the first part; the rest comes with Range.
    let cut = size / 3;
    let first = api
        .request(Method::GET, &path)
        .header("range", format!("bytes=0-{}", cut - 1))
        .send()
        .await
        .unwrap();
    assert_eq!(first.status(), StatusCode::PARTIAL_CONTENT);
    assert_eq!(
        first.headers()["content-range"],
        format!("bytes 0-{}/{size}", cut - 1)
    );
    let mut joined = first.bytes().await.unwrap().to_vec();
    assert_eq!(joined.len() as u64, cut);
    let rest = api
        .request(Method::GET, &path)
        .header("range", format!("bytes={cut}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(rest.status(), StatusCode::PARTIAL_CONTENT);
    joined.extend_from_slice(&rest.bytes().await.unwrap());
    assert_eq!(hex_sha(&joined), sha);

    let again = api
        .request(Method::GET, &path)
        .header("if-none-match", &etag)
        .send()
        .await
        .unwrap();
    assert_eq!(again.status(), StatusCode::NOT_MODIFIED);
    assert!(again.bytes().await.unwrap().is_empty());

    let beyond = api
        .request(Method::GET, &path)
        .header("range", format!("bytes={size}-"))
        .send()
        .await
        .unwrap();
    assert_eq!(beyond.status(), StatusCode::RANGE_NOT_SATISFIABLE);
    assert_eq!(beyond.headers()["content-range"], format!("bytes */{size}"));
    let body: serde_json::Value = beyond.json().await.unwrap();
    assert_eq!(body["code"], "range_not_satisfiable");
}

#[tokio::test]
async fn blob_names_must_be_hashes() {
    let server = TestServer::demo().await;
    let api = server.login("daibieu01").await;
    for bad in [
        "..%2F..%2Fphonghop.db",
        "..%2F..%2F..%2Fetc%2Fpasswd",
        "E3B0C44298FC1C149AFBF4C8996FB92427AE41E4649B934CA495991B7852B855",
        "e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b85",
        "phonghop.db",
    ] {
        let (status, body) = api.get(&format!("/api/v1/blobs/{bad}")).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{bad}: {body}");
        assert_eq!(body["code"], "bad_hash");
    }
    // A path with real slashes is no blob route at all.
    let (status, body) = api.get("/api/v1/blobs/../../phonghop.db").await;
    assert!(status.is_client_error(), "{status} {body}");
    // A well-formed hash that is nobody's file.
    let (status, body) = api.get(&format!("/api/v1/blobs/{}", "0".repeat(64))).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "not_found");
}

fn blob_count(server: &TestServer) -> usize {
    fn walk(dir: &std::path::Path) -> usize {
        std::fs::read_dir(dir)
            .map(|rd| {
                rd.flatten()
                    .map(|e| {
                        if e.path().is_dir() {
                            walk(&e.path())
                        } else {
                            1
                        }
                    })
                    .sum()
            })
            .unwrap_or(0)
    }
    walk(&server.data_dir().join("blobs"))
}

#[tokio::test]
async fn uploads_are_checked_before_anything_is_stored() {
    let server = TestServer::demo().await;
    let secretary = server.login("thuky").await;
    let delegate = server.login("daibieu01").await;
    let before = blob_count(&server);

    let pdf = std::fs::read(
        phonghop_server::seed::default_assets_dir().join(
            std::fs::read_dir(phonghop_server::seed::default_assets_dir())
                .unwrap()
                .flatten()
                .find(|e| e.path().extension().is_some_and(|x| x == "pdf"))
                .unwrap()
                .file_name(),
        ),
    )
    .unwrap();
    let mut changed = pdf.clone();
    changed.extend_from_slice(b"\n% a new version\n");
    let sha = hex_sha(&changed);

    let put = |api: &Api, name: String, body: Vec<u8>| {
        let rb = api
            .request(Method::PUT, &format!("/api/v1/blobs/{name}"))
            .body(body);
        async move {
            let r = rb.send().await.unwrap();
            let s = r.status();
            (s, r.json::<serde_json::Value>().await.unwrap_or_default())
        }
    };

    let (status, body) = put(&delegate, sha.clone(), changed.clone()).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    let (status, body) = put(&secretary, "0".repeat(64), changed.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(body["code"], "hash_mismatch");
    let text = "Không phải PDF".as_bytes().to_vec();
    let (status, body) = put(&secretary, hex_sha(&text), text).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["code"], "not_pdf");
    let broken = b"%PDF-1.7\n1 0 obj garbage".to_vec();
    let (status, body) = put(&secretary, hex_sha(&broken), broken).await;
    assert_eq!(status, StatusCode::UNSUPPORTED_MEDIA_TYPE);
    assert_eq!(body["code"], "not_pdf");
    let (status, body) = put(&secretary, hex_sha(b""), Vec::new()).await;
    assert!(status.is_client_error(), "{body}");
    assert_eq!(
        blob_count(&server),
        before,
        "a refused upload left a file behind"
    );

    let (status, body) = put(&secretary, sha.clone(), changed.clone()).await;
    assert_eq!(status, StatusCode::CREATED, "{body}");
    assert_eq!(body["sha256"], sha);
    assert!(body["pages"].as_u64().unwrap() >= 1);
    // Bytes were appended after the signature: the upload check says so.
    assert_eq!(
        body["signature"]["status"], "modified_after_signing",
        "{body}"
    );
    // An unsigned file is accepted as unsigned.
    let plain = phonghop_testkit::big_pdf(10_000, 1);
    let (status, body) = put(&secretary, hex_sha(&plain), plain).await;
    assert_eq!(status, StatusCode::CREATED);
    assert_eq!(body["signature"]["status"], "unsigned");
    assert_eq!(blob_count(&server), before + 2);
    // Again: nothing new.
    let (status, _) = put(&secretary, sha.clone(), changed.clone()).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(blob_count(&server), before + 2);
    // The uploader may read it back; the delegate may not until it is attached.
    assert_eq!(
        secretary.get(&format!("/api/v1/blobs/{sha}")).await.0,
        StatusCode::OK
    );
    assert_eq!(
        delegate.get(&format!("/api/v1/blobs/{sha}")).await.0,
        StatusCode::NOT_FOUND
    );

    // Another secretary (the admin) uploading the same file gets it as theirs too, and
    // may attach it; the wrong bytes under that hash get nothing.
    let admin = server.login("admin").await;
    let (status, body) = put(&admin, sha.clone(), pdf.clone()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
    assert_eq!(body["code"], "hash_mismatch");
    assert_eq!(
        admin.get(&format!("/api/v1/blobs/{sha}")).await.0,
        StatusCode::NOT_FOUND
    );
    let (status, body) = put(&admin, sha.clone(), changed.clone()).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["sha256"], sha);
    assert_eq!(blob_count(&server), before + 2);
    assert_eq!(
        admin.get(&format!("/api/v1/blobs/{sha}")).await.0,
        StatusCode::OK
    );
    let item = &admin
        .items_of(&crate::next_week_meeting(&admin).await)
        .await[0];
    let r = admin
        .ops(vec![
            serde_json::json!({"type": "document.attach", "document_id": uuid::Uuid::now_v7(),
            "item_id": item["id"], "title": "Báo cáo bổ sung", "kind": "report",
            "classification": "public", "sha256": sha}),
        ])
        .await;
    assert_eq!(r[0]["status"], "accepted", "{r:?}");
}

#[tokio::test]
async fn oversized_uploads_are_refused() {
    let server = TestServer::demo_with(|c| c.max_blob_bytes = 1000).await;
    let secretary = server.login("thuky").await;
    let big = vec![b'%'; 5000];
    let r = secretary
        .request(Method::PUT, &format!("/api/v1/blobs/{}", hex_sha(&big)))
        .body(big)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    let body: serde_json::Value = r.json().await.unwrap();
    assert_eq!(body["code"], "payload_too_large");

    // Said too large up front: refused at once, before the body is read (this one sends
    // a little and then nothing: the answer must not wait for the rest).
    use futures_util::StreamExt;
    let trickle = futures_util::stream::once(async { Ok::<_, std::io::Error>(vec![b'%'; 500]) })
        .chain(futures_util::stream::pending());
    let r = tokio::time::timeout(
        std::time::Duration::from_secs(10),
        secretary
            .request(Method::PUT, &format!("/api/v1/blobs/{}", "a".repeat(64)))
            .header(reqwest::header::CONTENT_LENGTH, 2000)
            .body(reqwest::Body::wrap_stream(trickle))
            .send(),
    )
    .await
    .expect("answered before the body ended")
    .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
}
