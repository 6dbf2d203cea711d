//! `bench sync-client`: a cold `phonghop sync` of a meeting pack of 50 PDFs (~100 MB)
//! against `curl --parallel` fetching the same files from nginx in the same run; then a
//! delta sync after one document gets a new version (bytes on the wire ÷ its size).

use std::process::{Command, Stdio};
use std::time::Instant;

use anyhow::{Context, Result, bail};
use phonghop_testkit::{Api, DEMO_PASSWORD, big_pdf};
use serde_json::{Value, json};

const DOCS: usize = 50;
const DOC_BYTES: usize = 2_000_000;
/// Our client downloads this many files at once; curl gets the same.
const PARALLEL: usize = 4;

fn phonghop_bin() -> Result<std::path::PathBuf> {
    std::env::var_os("PHONGHOP_CLI_BIN")
        .map(Into::into)
        .context("PHONGHOP_CLI_BIN is not set; run through `cargo xtask bench`")
}

fn phonghop(cache: &std::path::Path, args: &[&str], stdin: Option<&str>) -> Result<String> {
    use std::io::Write;
    let mut child = Command::new(phonghop_bin()?)
        .arg("--cache")
        .arg(cache)
        .args(args)
        .stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit())
        .spawn()?;
    if let Some(s) = stdin {
        child
            .stdin
            .take()
            .context("stdin")?
            .write_all(s.as_bytes())?;
    }
    drop(child.stdin.take());
    let out = child.wait_with_output()?;
    if !out.status.success() {
        bail!("phonghop {args:?} failed");
    }
    Ok(String::from_utf8_lossy(&out.stdout).into_owned())
}

pub fn run(_args: &[String]) -> Result<()> {
    let tmp = tempfile::tempdir()?;
    let data = tmp.path().join("data");
    crate::server::prepare_data(&data)?;
    crate::server::add_user(&data, "bench01", "Đại biểu đo hiệu năng", "delegate")?;
    let (_server, base) = crate::server::serve(&data)?;
    let rt = tokio::runtime::Runtime::new()?;

    // A meeting whose pack is 50 documents of 2 MB, for `bench01` alone.
    let (shas, first_doc, first_item) = rt.block_on(async {
        let sec = Api::anonymous(&base).login("thuky", DEMO_PASSWORD).await?;
        let bench = Api::anonymous(&base).login("bench01", DEMO_PASSWORD).await?;
        let meeting = uuid::Uuid::now_v7();
        let item = uuid::Uuid::now_v7();
        let r = sec
            .ops(vec![
                json!({"type": "meeting.create", "meeting_id": meeting, "title": "Gói tài liệu đo hiệu năng", "kind": "regular",
                       "room": "Phòng họp số 1", "starts_at": "2026-12-15T08:00:00+07:00", "ends_at": "2026-12-15T11:00:00+07:00"}),
                json!({"type": "item.add", "item_id": item, "meeting_id": meeting, "title": "Tài liệu"}),
                json!({"type": "member.add", "meeting_id": meeting, "user_id": bench.user_id(), "role": "member", "attendance": "in_room"}),
                json!({"type": "meeting.publish", "meeting_id": meeting}),
            ])
            .await;
        if r.iter().any(|x| x["status"] != "accepted") {
            bail!("setting up the bench meeting failed: {r:?}");
        }
        let item_json: Value = json!({"id": item});
        let mut shas = Vec::new();
        let mut first = None;
        for i in 0..DOCS {
            let (doc, sha) = sec.attach_pdf(&item_json, big_pdf(DOC_BYTES, i as u64 + 1), &format!("Phụ lục {i}"), None).await;
            first.get_or_insert(doc);
            shas.push(sha);
        }
        Ok::<_, anyhow::Error>((shas, first.context("documents")?, item_json))
    })?;
    let pack_bytes: u64 = shas
        .iter()
        .map(|s| {
            std::fs::metadata(blob_path(&data, s))
                .map(|m| m.len())
                .unwrap_or(0)
        })
        .sum();

    // Reference: the same files from nginx with curl, as many at a time as our client.
    let www = tmp.path().join("www");
    std::fs::create_dir_all(&www)?;
    for s in &shas {
        std::fs::copy(blob_path(&data, s), www.join(s))?;
    }
    let nginx = crate::nginx::Nginx::serve(&www, &tmp.path().join("nginx"))?;
    let out_dir = tmp.path().join("curl-out");
    let curl = |dir: &std::path::Path| -> Result<f64> {
        let _ = std::fs::remove_dir_all(dir);
        std::fs::create_dir_all(dir)?;
        let mut cmd = Command::new("curl");
        cmd.args([
            "--silent",
            "--fail",
            "--parallel",
            "--parallel-max",
            &PARALLEL.to_string(),
        ]);
        for s in &shas {
            cmd.arg("-o")
                .arg(dir.join(s))
                .arg(format!("http://127.0.0.1:{}/{s}", nginx.port));
        }
        let start = Instant::now();
        if !cmd
            .status()
            .context("curl (Debian package curl)")?
            .success()
        {
            bail!("curl failed");
        }
        Ok(start.elapsed().as_secs_f64())
    };

    // Ours: a cold sync into an empty cache (login not timed).
    let ours = |n: usize| -> Result<f64> {
        let cache = tmp.path().join(format!("cache-{n}"));
        phonghop(
            &cache,
            &[
                "login",
                "--server",
                &base,
                "--username",
                "bench01",
                "--password-stdin",
            ],
            Some(DEMO_PASSWORD),
        )?;
        let start = Instant::now();
        phonghop(&cache, &["sync", "--json"], None)?;
        Ok(start.elapsed().as_secs_f64())
    };
    // Each timed run starts with nothing waiting to be written back, so neither side
    // pays for the disk writes the other left behind (our client flushes what it
    // downloads to disk before it shows it; curl does not).
    let settle = || Command::new("sync").status().map(|_| ());
    curl(&out_dir)?; // warm the page cache
    let (mut best_ours, mut best_ref) = (f64::MAX, f64::MAX);
    for n in 0..3 {
        settle()?;
        let o = ours(n)?;
        settle()?;
        let r = curl(&out_dir)?;
        eprintln!("  run {}: phonghop sync {o:.3} s, curl {r:.3} s", n + 1);
        best_ours = best_ours.min(o);
        best_ref = best_ref.min(r);
    }

    // Delta: one document gets a new version; a warm cache syncs it.
    let cache = tmp.path().join("cache-0");
    let new_pdf = big_pdf(DOC_BYTES, 999);
    let new_size = new_pdf.len() as u64;
    rt.block_on(async {
        let sec = Api::anonymous(&base).login("thuky", DEMO_PASSWORD).await?;
        sec.attach_pdf(&first_item, new_pdf, "Phụ lục 0 (sửa đổi)", Some(first_doc))
            .await;
        Ok::<_, anyhow::Error>(())
    })?;
    let report: Value = serde_json::from_str(&phonghop(&cache, &["sync", "--json"], None)?)?;
    let delta_bytes = report["report"]["bytes"]
        .as_u64()
        .context("bytes in the sync report")?;
    if report["report"]["downloaded"] != 1 {
        bail!(
            "the delta sync downloaded {} files, expected 1",
            report["report"]["downloaded"]
        );
    }

    let mb = pack_bytes as f64 / 1e6;
    println!(
        "pack: {DOCS} PDFs, {mb:.1} MB; best of 3: phonghop sync {best_ours:.3} s, curl --parallel-max {PARALLEL} from nginx {best_ref:.3} s"
    );
    println!(
        "delta sync after one {new_size}-byte document changed: {delta_bytes} bytes on the wire = {:.3} × the document (goal ≤ 1.05)",
        delta_bytes as f64 / new_size as f64
    );
    crate::report("sync-client", mb / best_ours, mb / best_ref, "MB/s", true);
    Ok(())
}

fn blob_path(data: &std::path::Path, sha: &str) -> std::path::PathBuf {
    data.join("blobs").join(&sha[..2]).join(sha)
}
