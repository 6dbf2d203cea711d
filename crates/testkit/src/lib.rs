//! Test support shared by the suites of several crates: a real server bound to
//! 127.0.0.1:0 over a temp data dir (seeded with the demo province once per process and
//! copied for each test), and a thin JSON client for it.

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;
use std::time::Duration;

use base64::Engine;
use phonghop_domain::sync::DeviceInfo;
use phonghop_domain::{Id, LoginRequest, LoginResponse, Role};
use phonghop_server::store::{NewUser, Store};
use phonghop_server::{Config, RunningServer, open_data, seed};
use reqwest::{Method, StatusCode};
use serde_json::Value;

/// Every demo account's password, and the admin's in tests.
pub const DEMO_PASSWORD: &str = "phonghop-demo";

fn copy_dir(from: &Path, to: &Path) -> std::io::Result<()> {
    std::fs::create_dir_all(to)?;
    for e in std::fs::read_dir(from)? {
        let e = e?;
        let dest = to.join(e.file_name());
        if e.file_type()?.is_dir() {
            copy_dir(&e.path(), &dest)?;
        } else {
            std::fs::copy(e.path(), dest)?;
        }
    }
    Ok(())
}

/// Creates the admin account in a fresh data dir.
pub fn init_data_dir(dir: &Path) -> anyhow::Result<()> {
    let (store, _) = open_data(dir, true)?;
    store.create_user(&NewUser {
        id: Id::now_v7(),
        username: "admin".into(),
        full_name: "Quản trị hệ thống".into(),
        role: Role::Admin,
        title: String::new(),
        org_unit_id: None,
        password_hash: phonghop_server::auth::hash_password(DEMO_PASSWORD)
            .map_err(anyhow::Error::msg)?,
    })?;
    Ok(())
}

/// A data dir seeded with the demo province, made once per test process.
fn demo_template() -> &'static Path {
    static TEMPLATE: OnceLock<PathBuf> = OnceLock::new();
    TEMPLATE.get_or_init(|| {
        let dir =
            std::env::temp_dir().join(format!("phonghop-demo-template-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        init_data_dir(&dir).expect("init the demo template");
        {
            let (store, blobs) = open_data(&dir, false).expect("open the demo template");
            seed::seed_demo(
                &store,
                &blobs,
                &seed::default_assets_dir(),
                &dir,
                seed::today_in_vietnam(),
            )
            .expect("seed the demo province");
        }
        dir
    })
}

/// A fresh copy of the demo province's data directory, for a server run as a child
/// process (crash tests).
pub fn demo_data_dir() -> tempfile::TempDir {
    let dir = tempfile::tempdir().expect("temp dir");
    copy_dir(demo_template(), dir.path()).expect("copy the demo template");
    dir
}

/// A real server in this process.
pub struct TestServer {
    pub dir: tempfile::TempDir,
    pub addr: SocketAddr,
    server: Option<RunningServer>,
    config: Config,
}

impl TestServer {
    /// The demo province, freshly copied.
    pub async fn demo() -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(demo_template(), dir.path()).expect("copy the demo template");
        TestServer::start_in(dir, |_| {}).await
    }

    /// Only the admin account.
    pub async fn empty() -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        init_data_dir(dir.path()).expect("init");
        TestServer::start_in(dir, |_| {}).await
    }

    pub async fn demo_with(configure: impl FnOnce(&mut Config)) -> TestServer {
        let dir = tempfile::tempdir().expect("temp dir");
        copy_dir(demo_template(), dir.path()).expect("copy the demo template");
        TestServer::start_in(dir, configure).await
    }

    async fn start_in(dir: tempfile::TempDir, configure: impl FnOnce(&mut Config)) -> TestServer {
        let mut config = Config::new(dir.path());
        config.heartbeat = Duration::from_secs(2);
        configure(&mut config);
        let server =
            phonghop_server::start(config.clone(), "127.0.0.1:0".parse().expect("addr"), None)
                .await
                .expect("start the server");
        TestServer {
            dir,
            addr: server.addr,
            server: Some(server),
            config,
        }
    }

    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    pub fn data_dir(&self) -> &Path {
        self.dir.path()
    }

    pub fn store(&self) -> &dyn Store {
        self.server
            .as_ref()
            .expect("server running")
            .state
            .store
            .as_ref()
    }

    /// Stops the server; the data stays.
    pub async fn stop(&mut self) {
        if let Some(s) = self.server.take() {
            s.shutdown(Duration::from_millis(200))
                .await
                .expect("server stopped cleanly");
        }
    }

    /// Starts it again on the same address over the same data.
    pub async fn restart(&mut self) {
        self.stop().await;
        let mut last = None;
        for _ in 0..50 {
            match phonghop_server::start(self.config.clone(), self.addr, None).await {
                Ok(s) => {
                    self.server = Some(s);
                    return;
                }
                Err(e) => last = Some(e),
            }
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        panic!("could not restart on {}: {last:?}", self.addr);
    }

    pub async fn login(&self, username: &str) -> Api {
        let api = Api::anonymous(&self.url());
        api.login(username, DEMO_PASSWORD)
            .await
            .unwrap_or_else(|e| panic!("login {username}: {e}"))
    }
}

/// A device identity as a client would make it.
pub fn new_device(name: &str) -> DeviceInfo {
    new_signing_device(name).0
}

/// A device identity and its secret key, which signs ballots.
pub fn new_signing_device(name: &str) -> (DeviceInfo, ed25519_dalek::SigningKey) {
    let key = ed25519_dalek::SigningKey::generate(&mut rand::rngs::OsRng);
    (
        DeviceInfo {
            id: Id::now_v7(),
            name: name.into(),
            public_key: base64::engine::general_purpose::STANDARD
                .encode(key.verifying_key().to_bytes()),
        },
        key,
    )
}

/// A thin JSON client: every call returns the status and the parsed body.
#[derive(Clone)]
pub struct Api {
    pub base: String,
    pub token: Option<String>,
    pub user: Option<phonghop_domain::User>,
    pub http: reqwest::Client,
    /// The device this session was opened on, with its key.
    pub device: Option<(Id, ed25519_dalek::SigningKey)>,
}

impl Api {
    pub fn anonymous(base: &str) -> Api {
        Api {
            base: base.trim_end_matches('/').to_owned(),
            token: None,
            user: None,
            http: reqwest::Client::new(),
            device: None,
        }
    }

    pub fn user_id(&self) -> Id {
        self.user.as_ref().expect("logged in").id
    }

    pub async fn login(&self, username: &str, password: &str) -> anyhow::Result<Api> {
        let (device, key) = new_signing_device("test");
        let device_id = device.id;
        let req = LoginRequest {
            username: username.into(),
            password: password.into(),
            device,
        };
        let (status, body) = self
            .call(
                Method::POST,
                "/api/v1/sessions",
                Some(serde_json::to_value(&req)?),
            )
            .await;
        anyhow::ensure!(
            status == StatusCode::CREATED,
            "login answered {status}: {body}"
        );
        let resp: LoginResponse = serde_json::from_value(body)?;
        Ok(Api {
            token: Some(resp.token),
            user: Some(resp.user),
            device: Some((device_id, key)),
            ..self.clone()
        })
    }

    pub fn request(&self, method: Method, path: &str) -> reqwest::RequestBuilder {
        let mut rb = self.http.request(method, format!("{}{}", self.base, path));
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        rb
    }

    pub async fn call(
        &self,
        method: Method,
        path: &str,
        body: Option<Value>,
    ) -> (StatusCode, Value) {
        let mut rb = self.request(method, path);
        if let Some(b) = body {
            rb = rb.json(&b);
        }
        let resp = rb.send().await.expect("request sent");
        let status = resp.status();
        let bytes = resp.bytes().await.expect("body read");
        let body = serde_json::from_slice(&bytes)
            .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&bytes).into()));
        (status, body)
    }

    pub async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.call(Method::GET, path, None).await
    }

    pub async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.call(Method::POST, path, Some(body)).await
    }

    /// Sends ops (as `{"type": ...}` objects) each with a fresh id; returns the results.
    pub async fn ops(&self, ops: Vec<Value>) -> Vec<Value> {
        let batch: Vec<Value> = ops
            .into_iter()
            .map(|op| serde_json::json!({"id": Id::now_v7(), "op": op}))
            .collect();
        let (status, body) = self
            .post("/api/v1/ops", serde_json::json!({ "ops": batch }))
            .await;
        assert_eq!(status, StatusCode::OK, "ops answered {body}");
        body["results"].as_array().cloned().unwrap_or_default()
    }

    /// Pulls the whole feed from `since`, page by page.
    pub async fn pull(&self, since: u64, limit: usize) -> (Vec<Value>, u64, usize) {
        let (mut all, mut cursor, mut pages) = (Vec::new(), since, 0);
        loop {
            let (status, page) = self
                .get(&format!("/api/v1/changes?since={cursor}&limit={limit}"))
                .await;
            assert_eq!(status, StatusCode::OK, "changes answered {page}");
            pages += 1;
            all.extend(page["changes"].as_array().cloned().unwrap_or_default());
            let next = page["cursor"].as_u64().expect("cursor");
            assert!(
                next >= cursor,
                "the cursor went back from {cursor} to {next}"
            );
            cursor = next;
            if !page["more"].as_bool().expect("more") {
                return (all, cursor, pages);
            }
            assert!(pages < 10_000, "the feed does not end");
        }
    }
}

/// A valid one-page PDF of about `size` bytes (an unreferenced filler stream of
/// pseudo-random bytes makes the bulk), different for each `seed`.
pub fn big_pdf(size: usize, seed: u64) -> Vec<u8> {
    use lopdf::{Document, Object, Stream, dictionary};
    let mut doc = Document::with_version("1.7");
    let pages_id = doc.new_object_id();
    let font_id = doc.add_object(
        dictionary! {"Type" => "Font", "Subtype" => "Type1", "BaseFont" => "Helvetica"},
    );
    let text = format!("BT /F1 14 Tf 72 760 Td (Tai lieu hop so {seed}) Tj ET");
    let content_id = doc.add_object(Stream::new(dictionary! {}, text.into_bytes()));
    let page_id = doc.add_object(dictionary! {
        "Type" => "Page",
        "Parent" => pages_id,
        "Contents" => content_id,
        "Resources" => dictionary! {"Font" => dictionary! {"F1" => font_id}},
        "MediaBox" => vec![0.into(), 0.into(), 595.into(), 842.into()],
    });
    doc.objects.insert(
        pages_id,
        Object::Dictionary(
            dictionary! {"Type" => "Pages", "Kids" => vec![page_id.into()], "Count" => 1},
        ),
    );
    // xorshift: cheap, deterministic, incompressible enough.
    let mut x = seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1;
    let filler: Vec<u8> = (0..size)
        .map(|_| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            (x >> 24) as u8
        })
        .collect();
    doc.add_object(Stream::new(dictionary! {}, filler));
    let catalog_id = doc.add_object(dictionary! {"Type" => "Catalog", "Pages" => pages_id});
    doc.trailer.set("Root", catalog_id);
    let mut out = Vec::new();
    doc.save_to(&mut out).expect("write a PDF to memory");
    out
}

pub fn sha256_hex(bytes: &[u8]) -> String {
    use sha2::Digest;
    hex::encode(sha2::Sha256::digest(bytes))
}

impl Api {
    /// As a secretary: uploads a PDF and attaches it to an agenda item as a new document
    /// (or a new version of `document`). Returns (document id, sha256).
    pub async fn attach_pdf(
        &self,
        item: &Value,
        bytes: Vec<u8>,
        title: &str,
        document: Option<Id>,
    ) -> (Id, String) {
        let sha = sha256_hex(&bytes);
        let resp = self
            .request(Method::PUT, &format!("/api/v1/blobs/{sha}"))
            .body(bytes)
            .send()
            .await
            .expect("upload");
        assert!(
            resp.status().is_success(),
            "upload answered {}",
            resp.status()
        );
        let document_id = document.unwrap_or_else(Id::now_v7);
        let r = self
            .ops(vec![serde_json::json!({"type": "document.attach", "document_id": document_id, "item_id": item["id"],
                "title": title, "kind": "report", "classification": "public", "sha256": sha})])
            .await;
        assert_eq!(r[0]["status"], "accepted", "{r:?}");
        (document_id, sha)
    }

    /// The demo meetings this user sees, oldest first.
    pub async fn meetings_by_date(&self) -> Vec<Value> {
        let (changes, _, _) = self.pull(0, 5000).await;
        let mut ms: Vec<Value> = changes
            .into_iter()
            .filter(|c| c["type"] == "meeting")
            .collect();
        ms.sort_by_key(|m| m["starts_at"].as_str().unwrap_or_default().to_owned());
        ms
    }

    pub async fn items_of(&self, meeting: &Value) -> Vec<Value> {
        let (changes, _, _) = self.pull(0, 5000).await;
        let mut items: Vec<Value> = changes
            .into_iter()
            .filter(|c| c["type"] == "agenda_item" && c["meeting_id"] == meeting["id"])
            .collect();
        items.sort_by_key(|i| i["position"].as_u64());
        items
    }
}

impl Api {
    /// A `ballot.cast` op signed by this session's device key.
    pub fn ballot_op(
        &self,
        poll: Id,
        voter: Id,
        choices: &[u32],
        cast_at: phonghop_domain::Timestamp,
    ) -> Value {
        use ed25519_dalek::Signer;
        let (device_id, key) = self.device.as_ref().expect("logged in on a device");
        let bytes = phonghop_domain::poll::ballot_signing_bytes(poll, voter, choices, cast_at);
        let signature =
            base64::engine::general_purpose::STANDARD.encode(key.sign(&bytes).to_bytes());
        serde_json::json!({"type": "ballot.cast", "poll_id": poll, "voter_id": voter,
            "choices": choices, "cast_at": cast_at.format(&time::format_description::well_known::Rfc3339).expect("format"),
            "device_id": device_id, "signature": signature})
    }

    /// Casts this user's own ballot now; returns the op's result.
    pub async fn vote(&self, poll: Id, choices: &[u32]) -> Value {
        let op = self.ballot_op(
            poll,
            self.user_id(),
            choices,
            phonghop_domain::Timestamp::now_utc(),
        );
        self.ops(vec![op]).await.remove(0)
    }

    /// An `opinion.answer` op signed by this session's device key.
    pub fn opinion_op(
        &self,
        ballot: Id,
        choice: phonghop_domain::OpinionChoice,
        comment: &str,
        answered_at: phonghop_domain::Timestamp,
    ) -> Value {
        use ed25519_dalek::Signer;
        let (device_id, key) = self.device.as_ref().expect("logged in on a device");
        let bytes = phonghop_domain::opinion::opinion_signing_bytes(
            ballot,
            self.user_id(),
            choice,
            comment,
            answered_at,
        );
        let signature =
            base64::engine::general_purpose::STANDARD.encode(key.sign(&bytes).to_bytes());
        serde_json::json!({"type": "opinion.answer", "ballot_id": ballot, "choice": choice,
            "comment": comment, "answered_at": answered_at.format(&time::format_description::well_known::Rfc3339).expect("format"),
            "device_id": device_id, "signature": signature})
    }
}
