//! `bench sync-server`: N concurrent clients each fetch today's demo meeting pack (the
//! whole change feed, then every document file of the meeting, a few at a time) from the
//! real server; the same bytes from nginx in the same run are the reference.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use phonghop_testkit::{Api, DEMO_PASSWORD};
use serde_json::Value;

const PARALLEL_BLOBS: usize = 4;

struct ServerProcess(Child);

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn server_bin() -> Result<std::path::PathBuf> {
    std::env::var_os("PHONGHOP_SERVER_BIN")
        .map(Into::into)
        .context("PHONGHOP_SERVER_BIN is not set; run through `cargo xtask bench`")
}

fn start_server(data: &Path) -> Result<(ServerProcess, String)> {
    let bin = server_bin()?;
    let mut init = Command::new(&bin)
        .args(["init", "--admin-password-stdin", "--data"])
        .arg(data)
        .stdin(Stdio::piped())
        .spawn()?;
    {
        use std::io::Write;
        init.stdin
            .take()
            .context("stdin")?
            .write_all(DEMO_PASSWORD.as_bytes())?;
    }
    if !init.wait()?.success() {
        bail!("init failed");
    }
    if !Command::new(&bin)
        .args(["seed-demo", "--data"])
        .arg(data)
        .stdout(Stdio::null())
        .status()?
        .success()
    {
        bail!("seed-demo failed");
    }
    let port = crate::free_port()?;
    let child = Command::new(&bin)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::null())
        .spawn()?;
    let deadline = Instant::now() + Duration::from_secs(20);
    while std::net::TcpStream::connect(("127.0.0.1", port)).is_err() {
        if Instant::now() > deadline {
            bail!("the server did not start");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    Ok((ServerProcess(child), format!("http://127.0.0.1:{port}")))
}

/// What one client fetches: the feed (as paths), then the blobs.
#[derive(Clone)]
struct Pack {
    feed: Vec<String>,
    blobs: Vec<String>,
}

async fn fetch(client: &reqwest::Client, url: &str, token: Option<&str>) -> Result<u64> {
    let mut rb = client.get(url);
    if let Some(t) = token {
        rb = rb.bearer_auth(t);
    }
    let resp = rb.send().await?;
    if !resp.status().is_success() {
        bail!("{url}: {}", resp.status());
    }
    let mut n = 0u64;
    let mut body = resp.bytes_stream();
    while let Some(chunk) = body.next().await {
        n += chunk?.len() as u64;
    }
    Ok(n)
}

/// Runs every client at once; returns (bytes, seconds).
async fn run_clients(base: &str, pack: &Pack, tokens: &[Option<String>]) -> Result<(u64, f64)> {
    let start = Instant::now();
    let mut tasks = Vec::new();
    for token in tokens {
        let (base, pack, token) = (base.to_owned(), pack.clone(), token.clone());
        tasks.push(tokio::spawn(async move {
            // Each client has its own connections, as separate laptops would.
            let client = reqwest::Client::builder()
                .pool_max_idle_per_host(PARALLEL_BLOBS)
                .build()?;
            let mut bytes = 0;
            for path in &pack.feed {
                bytes += fetch(&client, &format!("{base}{path}"), token.as_deref()).await?;
            }
            let urls: Vec<String> = pack.blobs.iter().map(|p| format!("{base}{p}")).collect();
            let fetches: Vec<_> = urls
                .into_iter()
                .map(|url| {
                    let (client, token) = (client.clone(), token.clone());
                    async move { fetch(&client, &url, token.as_deref()).await }
                })
                .collect();
            let results: Vec<Result<u64>> = futures_util::stream::iter(fetches)
                .buffer_unordered(PARALLEL_BLOBS)
                .collect()
                .await;
            for r in results {
                bytes += r?;
            }
            Ok::<u64, anyhow::Error>(bytes)
        }));
    }
    let mut total = 0;
    for t in tasks {
        total += t.await??;
    }
    Ok((total, start.elapsed().as_secs_f64()))
}

pub fn run(args: &[String]) -> Result<()> {
    let clients: usize = match args.iter().position(|a| a == "--clients") {
        Some(i) => args.get(i + 1).context("--clients N")?.parse()?,
        None => 200,
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let tmp = tempfile::tempdir()?;
        let (_server, base) = start_server(&tmp.path().join("data"))?;

        // Setup (not timed): every client logs in with its own session.
        let anon = Api::anonymous(&base);
        let users: Vec<String> = (1..=14).map(|i| format!("daibieu{i:02}")).collect();
        let mut apis = Vec::new();
        for i in 0..clients {
            apis.push(anon.login(&users[i % users.len()], DEMO_PASSWORD).await?);
        }
        let probe = apis[0].clone();
        let mut pages = Vec::new();
        let mut cursor = 0;
        loop {
            let path = format!("/api/v1/changes?since={cursor}&limit=500");
            let (_, page) = probe.get(&path).await;
            pages.push((path, page.clone()));
            cursor = page["cursor"].as_u64().context("cursor")?;
            if page["more"] != Value::Bool(true) {
                break;
            }
        }
        let changes: Vec<Value> = pages.iter().flat_map(|(_, p)| p["changes"].as_array().cloned().unwrap_or_default()).collect();
        let mut meetings: Vec<&Value> = changes.iter().filter(|c| c["type"] == "meeting").collect();
        meetings.sort_by_key(|m| m["starts_at"].as_str().unwrap_or_default().to_owned());
        let today = meetings.get(1).context("three demo meetings")?["id"].clone();
        let shas: Vec<String> = changes
            .iter()
            .filter(|c| c["type"] == "document" && c["meeting_id"] == today)
            .filter_map(|d| d["versions"].as_array()?.last()?["sha256"].as_str().map(str::to_owned))
            .collect();
        let ours = Pack {
            feed: pages.iter().map(|(p, _)| p.clone()).collect(),
            blobs: shas.iter().map(|s| format!("/api/v1/blobs/{s}")).collect(),
        };

        // The same bytes for nginx: the feed pages as files, the blobs by name.
        let www = tmp.path().join("www");
        std::fs::create_dir_all(www.join("blobs"))?;
        let mut reference = Pack { feed: Vec::new(), blobs: Vec::new() };
        for (i, (_, page)) in pages.iter().enumerate() {
            std::fs::write(www.join(format!("changes-{i}.json")), serde_json::to_vec(page)?)?;
            reference.feed.push(format!("/changes-{i}.json"));
        }
        for s in &shas {
            let src = tmp.path().join("data/blobs").join(&s[..2]).join(s);
            std::fs::copy(&src, www.join("blobs").join(s))?;
            reference.blobs.push(format!("/blobs/{s}"));
        }
        let nginx = crate::nginx::Nginx::serve(&www, &tmp.path().join("nginx"))?;
        let nginx_base = format!("http://127.0.0.1:{}", nginx.port);

        let tokens: Vec<Option<String>> = apis.iter().map(|a| a.token.clone()).collect();
        let anon_tokens: Vec<Option<String>> = vec![None; clients];
        // Warm both (page cache, connection setup code paths), then measure alternately.
        run_clients(&base, &ours, &tokens[..clients.min(10)]).await?;
        run_clients(&nginx_base, &reference, &anon_tokens[..clients.min(10)]).await?;
        let (mut ours_best, mut ref_best) = (0f64, 0f64);
        let mut pack_bytes = 0;
        for _ in 0..3 {
            let (b, s) = run_clients(&base, &ours, &tokens).await?;
            pack_bytes = b / clients as u64;
            ours_best = ours_best.max(b as f64 / s / 1e6);
            let (b, s) = run_clients(&nginx_base, &reference, &anon_tokens).await?;
            ref_best = ref_best.max(b as f64 / s / 1e6);
        }
        println!(
            "{clients} clients × today's pack ({} documents, {:.1} MB each incl. the feed), best of 3",
            shas.len(),
            pack_bytes as f64 / 1e6
        );
        crate::report("sync-server", ours_best, ref_best, "MB/s", true);
        Ok(())
    })
}
