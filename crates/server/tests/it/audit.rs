use std::process::Command;

use phonghop_testkit::TestServer;
use serde_json::json;

fn verify(dir: &std::path::Path) -> (bool, String) {
    let out = Command::new(env!("CARGO_BIN_EXE_phonghop-server"))
        .args(["audit", "verify", "--data"])
        .arg(dir)
        .output()
        .expect("run phonghop-server");
    (
        out.status.success(),
        format!(
            "{}{}",
            String::from_utf8_lossy(&out.stdout),
            String::from_utf8_lossy(&out.stderr)
        ),
    )
}

#[tokio::test]
async fn audit_verify_finds_edited_and_deleted_rows() {
    let mut server = TestServer::demo().await;
    let delegate = server.login("daibieu01").await;
    delegate
        .ops(vec![
            json!({"type": "note.put", "note_id": uuid::Uuid::now_v7(), "text": "ghi chú",
                         "updated_at": "2026-11-27T08:00:00Z"}),
        ])
        .await;
    let _ = phonghop_testkit::Api::anonymous(&server.url())
        .login("daibieu01", "sai-roi")
        .await;
    server.stop().await;
    let dir = server.data_dir().to_path_buf();

    let (ok, out) = verify(&dir);
    assert!(ok, "{out}");
    assert!(out.contains("intact"), "{out}");

    let db = rusqlite::Connection::open(dir.join(phonghop_server::DB_FILE)).unwrap();
    let n: i64 = db
        .query_row("SELECT count(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert!(n > 10, "the seed, logins and ops are audited ({n} rows)");
    let actions: Vec<String> = db
        .prepare("SELECT action FROM audit_log")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .map(Result::unwrap)
        .collect();
    for a in [
        "op.note.put",
        "login",
        "login.failed",
        "op.meeting.create",
        "blob.put",
    ] {
        assert!(actions.iter().any(|x| x == a), "no {a} in the audit log");
    }

    // Someone hides a failed login by editing its row.
    let backup: (String, String) = db
        .query_row(
            "SELECT detail, actor FROM audit_log WHERE action = 'login.failed'",
            [],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )
        .unwrap();
    db.execute(
        "UPDATE audit_log SET actor = 'admin' WHERE action = 'login.failed'",
        [],
    )
    .unwrap();
    let (ok, out) = verify(&dir);
    assert!(!ok, "an edit went unnoticed: {out}");
    assert!(out.contains("TAMPERED") && out.contains("edited"), "{out}");
    db.execute(
        "UPDATE audit_log SET actor = ?1 WHERE action = 'login.failed'",
        [&backup.1],
    )
    .unwrap();
    assert!(verify(&dir).0, "restoring the row restores the chain");

    // Or deletes it.
    db.execute("DELETE FROM audit_log WHERE action = 'login.failed'", [])
        .unwrap();
    let (ok, out) = verify(&dir);
    assert!(!ok, "a deletion went unnoticed: {out}");
}
