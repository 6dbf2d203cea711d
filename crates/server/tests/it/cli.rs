use std::io::Write;
use std::process::{Command, Stdio};

fn server_cmd(args: &[&str], dir: &std::path::Path, stdin: Option<&str>) -> (bool, String) {
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_phonghop-server"));
    cmd.args(args)
        .arg("--data")
        .arg(dir)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = cmd.spawn().expect("spawn phonghop-server");
    if let Some(input) = stdin {
        child
            .stdin
            .as_mut()
            .unwrap()
            .write_all(input.as_bytes())
            .unwrap();
    }
    drop(child.stdin.take());
    let out = child.wait_with_output().unwrap();
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[test]
fn init_users_and_seed_from_the_command_line() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");

    let (ok, out) = server_cmd(&["user", "list"], &dir, None);
    assert!(!ok && out.contains("init"), "{out}");

    let (ok, out) = server_cmd(
        &["init", "--admin-password-stdin"],
        &dir,
        Some("mat-khau-quan-tri\n"),
    );
    assert!(ok, "{out}");
    assert!(
        dir.join("phonghop.db").is_file()
            && dir.join("blobs").is_dir()
            && dir.join("trust").is_dir()
    );
    let (ok, out) = server_cmd(&["init"], &dir, None);
    assert!(ok && out.contains("already"), "init is idempotent: {out}");

    let (ok, out) = server_cmd(
        &[
            "user",
            "add",
            "--username",
            "thuky2",
            "--full-name",
            "Trần Thị Thu Hà",
            "--role",
            "secretary",
            "--password-stdin",
        ],
        &dir,
        Some("mot-mat-khau-dai\n"),
    );
    assert!(ok, "{out}");
    let (ok, out) = server_cmd(
        &[
            "user",
            "add",
            "--username",
            "thuky2",
            "--full-name",
            "Trùng",
            "--role",
            "secretary",
            "--password-stdin",
        ],
        &dir,
        Some("mot-mat-khau-dai\n"),
    );
    assert!(!ok && out.contains("taken"), "{out}");
    let (ok, out) = server_cmd(
        &[
            "user",
            "add",
            "--username",
            "x1",
            "--full-name",
            "Sai vai trò",
            "--role",
            "boss",
            "--password-stdin",
        ],
        &dir,
        Some("mot-mat-khau-dai\n"),
    );
    assert!(!ok && out.contains("role"), "{out}");
    let (ok, out) = server_cmd(
        &[
            "user",
            "add",
            "--username",
            "ngan",
            "--full-name",
            "Mật khẩu ngắn",
            "--role",
            "guest",
            "--password-stdin",
        ],
        &dir,
        Some("123\n"),
    );
    assert!(!ok && out.contains("8 characters"), "{out}");

    let (ok, out) = server_cmd(&["user", "disable", "--username", "thuky2"], &dir, None);
    assert!(ok, "{out}");
    let (ok, out) = server_cmd(&["user", "list", "--json"], &dir, None);
    assert!(ok, "{out}");
    let users: serde_json::Value = serde_json::from_str(&out).unwrap();
    let thuky2 = users
        .as_array()
        .unwrap()
        .iter()
        .find(|u| u["username"] == "thuky2")
        .unwrap();
    assert_eq!(thuky2["full_name"], "Trần Thị Thu Hà");
    assert_eq!(thuky2["disabled"], true);

    // Real accounts here: the demo (public password, test CA) is not added unasked.
    let (ok, out) = server_cmd(&["seed-demo"], &dir, None);
    assert!(!ok && out.contains("thuky2"), "{out}");
    let (ok, out) = server_cmd(&["user", "list", "--json"], &dir, None);
    assert!(ok && !out.contains("daibieu01"), "seeded anyway: {out}");
    let (ok, out) = server_cmd(&["seed-demo", "--beside-real-accounts"], &dir, None);
    assert!(ok && out.contains("seeded"), "{out}");
    // Seeded: running it again (as `cargo xtask demo` does) changes nothing, and is not
    // refused for the real accounts beside it.
    let (ok, out) = server_cmd(&["seed-demo"], &dir, None);
    assert!(
        ok && out.contains("already"),
        "seeding twice changes nothing: {out}"
    );
    let (ok, out) = server_cmd(&["user", "list", "--json"], &dir, None);
    assert!(ok);
    let users: serde_json::Value = serde_json::from_str(&out).unwrap();
    let names: Vec<&str> = users
        .as_array()
        .unwrap()
        .iter()
        .map(|u| u["username"].as_str().unwrap())
        .collect();
    for u in [
        "admin",
        "thuky",
        "chutoa",
        "daibieu01",
        "daibieu15",
        "khach01",
        "khach02",
    ] {
        assert!(names.contains(&u), "{u} missing from {names:?}");
    }
    assert!(
        std::fs::read_dir(dir.join("trust"))
            .unwrap()
            .flatten()
            .any(|e| e.path().extension().is_some_and(|x| x == "pem")),
        "the demo root certificate is in DIR/trust"
    );
    let (ok, out) = server_cmd(&["audit", "verify"], &dir, None);
    assert!(ok, "{out}");

    // Plain HTTP on the network would carry passwords in the clear.
    let (ok, out) = server_cmd(&["serve", "--listen", "0.0.0.0:0"], &dir, None);
    assert!(!ok && out.contains("--tls-cert"), "{out}");
}

/// An admin command run beside a running server leaves the temp file of an upload in
/// flight alone; the server clears such leftovers only when it starts.
#[tokio::test(flavor = "multi_thread")]
async fn admin_commands_leave_uploads_in_flight_alone() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = tmp.path().join("data");
    let (ok, out) = server_cmd(
        &["init", "--admin-password-stdin"],
        &dir,
        Some("mat-khau-quan-tri\n"),
    );
    assert!(ok, "{out}");
    let inflight = dir.join("blobs/tmp/upload-in-flight");
    std::fs::write(&inflight, b"%PDF-1.7 ...").unwrap();
    let (ok, out) = server_cmd(&["user", "list"], &dir, None);
    assert!(ok, "{out}");
    assert!(
        inflight.exists(),
        "an admin command deleted an upload in flight"
    );
    // A server starting on the directory clears what a crash left.
    let _app = phonghop_server::app_state(phonghop_server::Config::new(&dir)).unwrap();
    assert!(!inflight.exists());
}

/// Polls `what` until it is true, for at most 10 s (the server caches a session for 5 s).
async fn eventually(what: &str, mut f: impl AsyncFnMut() -> bool) {
    let deadline = std::time::Instant::now() + std::time::Duration::from_secs(10);
    while !f().await {
        assert!(std::time::Instant::now() < deadline, "never: {what}");
        tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    }
}

#[tokio::test(flavor = "multi_thread")]
async fn an_admin_revokes_a_lost_tablet_and_resets_a_password() {
    use phonghop_testkit::{Api, DEMO_PASSWORD, TestServer};
    use reqwest::StatusCode;
    let server = TestServer::demo().await;
    let dir = server.data_dir().to_path_buf();

    // The lost tablet: the delegate's one device, with one session.
    let tablet = server.login("daibieu03").await;
    let (ok, out) = server_cmd(
        &["device", "list", "--username", "daibieu03", "--json"],
        &dir,
        None,
    );
    assert!(ok, "{out}");
    let devices: serde_json::Value = serde_json::from_str(&out).unwrap();
    let id = tablet.device.as_ref().unwrap().0.to_string();
    assert_eq!(devices[0]["id"], id.as_str(), "{devices}");
    assert_eq!(devices[0]["sessions"], 1);
    assert_eq!(devices[0]["revoked"], false);

    let (ok, out) = server_cmd(&["device", "revoke", "--id", &id], &dir, None);
    assert!(ok, "{out}");
    eventually("the tablet hears it was revoked", async || {
        let (status, body) = tablet.get("/api/v1/me").await;
        status == StatusCode::UNAUTHORIZED && body["code"] == "device_revoked"
    })
    .await;
    // Nobody logs in on it again.
    let (status, body) = Api::anonymous(&server.url())
        .post(
            "/api/v1/sessions",
            serde_json::json!({"username": "daibieu05", "password": DEMO_PASSWORD,
                "device": {"id": id, "name": "máy tìm lại", "public_key": tablet_key(&tablet)}}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "device_revoked");
    let (ok, out) = server_cmd(
        &[
            "device",
            "revoke",
            "--id",
            &uuid::Uuid::now_v7().to_string(),
        ],
        &dir,
        None,
    );
    assert!(!ok && out.contains("no device"), "{out}");

    // A leaked password: a new one ends every session, the old one no longer works.
    let leaked = server.login("daibieu04").await;
    let new_password = |input: &str| {
        server_cmd(
            &[
                "user",
                "password",
                "--username",
                "daibieu04",
                "--password-stdin",
            ],
            &dir,
            Some(input),
        )
    };
    let (ok, out) = new_password("mat-khau-moi-2026\n");
    assert!(ok, "{out}");
    eventually("the old session ends", async || {
        leaked.get("/api/v1/me").await.0 == StatusCode::UNAUTHORIZED
    })
    .await;
    let anon = Api::anonymous(&server.url());
    assert!(anon.login("daibieu04", DEMO_PASSWORD).await.is_err());
    assert!(anon.login("daibieu04", "mat-khau-moi-2026").await.is_ok());
    let (ok, out) = new_password("ngan\n");
    assert!(!ok && out.contains("8 characters"), "{out}");
    let (ok, out) = server_cmd(&["audit", "verify"], &dir, None);
    assert!(ok, "{out}");
}

fn tablet_key(api: &phonghop_testkit::Api) -> String {
    use base64::Engine;
    let (_, key) = api.device.as_ref().unwrap();
    base64::engine::general_purpose::STANDARD.encode(key.verifying_key().to_bytes())
}

/// Even at debug level the request log names the path, never the query: tokens travel
/// there (`?access_token=` on the live socket, `?invite=` for guests).
#[tokio::test]
async fn the_request_log_keeps_tokens_out() {
    let data = phonghop_testkit::demo_data_dir();
    let port = crate::free_port();
    let mut child = crate::serve(data.path(), port, "debug")
        .stdout(Stdio::null())
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let url = format!("http://127.0.0.1:{port}/api/v1/live?access_token=SECRET-TOKEN-42");
    let join = format!("http://127.0.0.1:{port}/video/join/SECRET-INVITE-43");
    let mut answered = false;
    for _ in 0..200 {
        if reqwest::get(&url).await.is_ok() {
            answered = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(answered, "the server did not come up");
    let _ = reqwest::get(&join).await;
    tokio::time::sleep(std::time::Duration::from_millis(200)).await;
    child.kill().unwrap();
    let out = child.wait_with_output().unwrap();
    let log = String::from_utf8_lossy(&out.stderr);
    assert!(log.contains("/api/v1/live"), "no request logged: {log}");
    assert!(!log.contains("SECRET-TOKEN-42"), "a token in the log");
    assert!(
        log.contains("/video/join/"),
        "the guest page request not logged: {log}"
    );
    assert!(
        !log.contains("SECRET-INVITE-43"),
        "an invitation token in the log"
    );
}

/// STUN/TURN servers may come from the environment (a TURN password on the command line
/// is readable by every user of the machine), and reach participants as configured.
#[tokio::test]
async fn ice_servers_come_from_the_environment() {
    use phonghop_rtc::{ClientSignal, ServerSignal};
    let data = phonghop_testkit::demo_data_dir();
    let port = crate::free_port();
    let secret = "mat-khau-turn-7";
    let child = crate::serve(data.path(), port, "warn")
        .env(
            "PHONGHOP_ICE_SERVERS",
            format!("stun:127.0.0.1:3478;turn:127.0.0.1:3479?transport=udp,turn-user,{secret}"),
        )
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    struct Kill(std::process::Child);
    impl Drop for Kill {
        fn drop(&mut self) {
            let _ = self.0.kill();
            let _ = self.0.wait();
        }
    }
    let child = Kill(child);
    let cmdline = std::fs::read(format!("/proc/{}/cmdline", child.0.id())).unwrap();
    assert!(!String::from_utf8_lossy(&cmdline).contains(secret));
    let url = format!("http://127.0.0.1:{port}");
    let mut up = false;
    for _ in 0..400 {
        if std::net::TcpStream::connect(("127.0.0.1", port)).is_ok() {
            up = true;
            break;
        }
        tokio::time::sleep(std::time::Duration::from_millis(25)).await;
    }
    assert!(up, "the server did not come up");
    let chair = phonghop_testkit::Api::anonymous(&url)
        .login("chutoa", phonghop_testkit::DEMO_PASSWORD)
        .await
        .expect("the chair logs in");
    let meeting = crate::today_meeting(&chair).await["id"]
        .as_str()
        .and_then(|s| s.parse().ok())
        .expect("meeting id");
    let mut link = phonghop_rtc::ws::connect_live(&url, chair.token.as_deref(), None)
        .await
        .expect("live socket");
    link.tx
        .send(ClientSignal::Join {
            meeting_id: meeting,
            name: None,
        })
        .unwrap();
    let ice = tokio::time::timeout(std::time::Duration::from_secs(10), async {
        while let Some(msg) = link.rx.recv().await {
            if let ServerSignal::Joined { ice_servers, .. } = msg {
                return ice_servers;
            }
        }
        panic!("the live socket closed before video.joined");
    })
    .await
    .expect("video.joined");
    assert_eq!(ice.len(), 2, "{ice:?}");
    assert_eq!(ice[0].urls, ["stun:127.0.0.1:3478"]);
    assert_eq!(ice[1].urls, ["turn:127.0.0.1:3479?transport=udp"]);
    assert_eq!(ice[1].username.as_deref(), Some("turn-user"));
    assert_eq!(ice[1].credential.as_deref(), Some(secret));
}
