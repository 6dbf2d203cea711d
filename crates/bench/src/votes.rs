//! `bench votes`: 1,000 simulated voters, each with its own live WebSocket and its own
//! HTTP connection to the real (release) server, cast their ballots within one second.
//! For each ballot: the time from the voter starting to cast until EVERY voter's live
//! channel has shown a tally that includes it (a poll state at least as new as the
//! ballot's acknowledgement); p50 and p99 of that, the time to the final tally
//! everywhere, ballots per second and the server's CPU. The reference: the same voters
//! fetch `/api/v1/openapi.json` once each on the same schedule — a floor for a loopback
//! round trip. The closing line compares the p99s.

use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use futures_util::StreamExt;
use phonghop_testkit::{Api, DEMO_PASSWORD};
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::client::IntoClientRequest;

const ROUNDS: usize = 3;

#[derive(Deserialize)]
struct LiveMsg {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    changes: Vec<ChangeLite>,
}

#[derive(Deserialize)]
struct ChangeLite {
    #[serde(rename = "type")]
    kind: String,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    version: u64,
}

/// One voter's view: the poll versions its live channel showed, and when.
type Seen = Arc<Mutex<Vec<(String, u64, Instant)>>>;

struct Voter {
    api: Api,
    seen: Seen,
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return f64::NAN;
    }
    let rank = ((p / 100.0) * sorted.len() as f64).ceil() as usize;
    sorted[rank.clamp(1, sorted.len()) - 1]
}

fn sorted(mut v: Vec<f64>) -> Vec<f64> {
    v.sort_by(|a, b| a.total_cmp(b));
    v
}

/// The server's CPU time so far, in seconds (utime + stime from /proc).
fn cpu_seconds(pid: u32) -> Option<f64> {
    let stat = std::fs::read_to_string(format!("/proc/{pid}/stat")).ok()?;
    // Fields after the command name (which may hold spaces) in parentheses.
    let rest = &stat[stat.rfind(')')? + 2..];
    let f: Vec<&str> = rest.split_whitespace().collect();
    let ticks: f64 = f.get(11)?.parse::<f64>().ok()? + f.get(12)?.parse::<f64>().ok()?;
    // USER_HZ is 100 on Linux.
    Some(ticks / 100.0)
}

async fn connect_live(base: &str, token: &str, seen: Seen) -> Result<()> {
    let mut req =
        format!("{}/api/v1/live", base.replacen("http", "ws", 1)).into_client_request()?;
    req.headers_mut()
        .insert("authorization", format!("Bearer {token}").parse()?);
    // As the app's client: a small read buffer (tungstenite zeroes it before every read).
    let config = tokio_tungstenite::tungstenite::protocol::WebSocketConfig::default()
        .read_buffer_size(phonghop_domain::LIVE_READ_BUFFER);
    let (mut ws, _) = tokio_tungstenite::connect_async_with_config(req, Some(config), true).await?;
    // Wait for hello, so the connection is fully up before anyone votes.
    match ws.next().await {
        Some(Ok(tokio_tungstenite::tungstenite::Message::Text(_))) => {}
        other => bail!("no hello on the live channel: {other:?}"),
    }
    tokio::spawn(async move {
        while let Some(Ok(msg)) = ws.next().await {
            let tokio_tungstenite::tungstenite::Message::Text(text) = msg else {
                continue;
            };
            let at = Instant::now();
            let Ok(m) = serde_json::from_str::<LiveMsg>(&text) else {
                continue;
            };
            if m.kind != "meeting" {
                continue;
            }
            let mut seen = seen.lock().unwrap_or_else(|p| p.into_inner());
            for c in m.changes {
                if c.kind == "poll"
                    && let Some(id) = c.id
                {
                    seen.push((id, c.version, at));
                }
            }
        }
    });
    Ok(())
}

struct Round {
    latencies_ms: Vec<f64>,
    /// Cast → the voter's own acknowledgement.
    acks_ms: Vec<f64>,
    /// The acknowledgement → the tally including the ballot on every client.
    spread_ms: Vec<f64>,
    /// This process's CPU (the 1,000 simulated clients) over the round.
    client_cpu_s: f64,
    final_ms: f64,
    ballots_per_s: f64,
    cpu_s: f64,
    window_s: f64,
}

async fn vote_round(
    admin: &Api,
    meeting: &Value,
    voters: &Arc<Vec<Voter>>,
    pid: u32,
) -> Result<Round> {
    let poll = uuid::Uuid::now_v7();
    let spec = json!({"question": "Biểu quyết thông qua Nghị quyết (bench)", "kind": "open", "mode": "motion",
        "options": ["Tán thành", "Không tán thành", "Không biểu quyết"], "max_choices": 1,
        "rule": {"quorum": {"cmp": "at_least", "num": 2, "den": 3}, "base": "all_members",
                 "threshold": {"cmp": "more_than", "num": 1, "den": 2}},
        "allow_recast": false, "duration_seconds": null, "grace_seconds": 0});
    let r = admin
        .ops(vec![
            json!({"type": "poll.create", "poll_id": poll, "meeting_id": meeting["id"], "spec": spec}),
            json!({"type": "poll.open", "poll_id": poll}),
        ])
        .await;
    if r.iter().any(|x| x["status"] != "accepted") {
        bail!("could not open the poll: {r:?}");
    }
    let poll_s = poll.to_string();
    // Let the "poll opened" event settle everywhere.
    tokio::time::sleep(Duration::from_millis(500)).await;

    let n = voters.len();
    let start = Instant::now() + Duration::from_millis(200);
    let cpu_before = cpu_seconds(pid);
    let client_cpu_before = cpu_seconds(std::process::id());
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let voters = voters.clone();
        let at = start + Duration::from_micros(1_000_000 * i as u64 / n as u64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let v = &voters[i].api;
            let cast = Instant::now();
            let op = v.ballot_op(
                poll,
                v.user_id(),
                &[(i % 3) as u32],
                phonghop_domain::Timestamp::now_utc(),
            );
            let resp = v
                .request(reqwest::Method::POST, "/api/v1/ops")
                .json(&json!({"ops": [{"id": uuid::Uuid::now_v7(), "op": op}]}))
                .send()
                .await?;
            let acked = Instant::now();
            let body: Value = resp.json().await?;
            if body["results"][0]["status"] != "accepted" {
                bail!("ballot {i} not accepted: {body}");
            }
            let cursor = body["cursor"].as_u64().context("cursor")?;
            Ok::<_, anyhow::Error>((cast, acked, cursor))
        }));
    }
    let mut casts = Vec::with_capacity(n);
    for t in tasks {
        casts.push(t.await??);
    }
    let last_ack = casts.iter().map(|c| c.1).max().context("no ballots")?;
    let max_cursor = casts.iter().map(|c| c.2).max().unwrap_or(0);
    // Wait until every voter has seen a tally at least as new as the last ballot.
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let all = voters.iter().all(|v| {
            v.seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .any(|(id, ver, _)| *id == poll_s && *ver >= max_cursor)
        });
        if all {
            break;
        }
        if Instant::now() > deadline {
            bail!("not every voter saw the final tally within a minute");
        }
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
    let cpu_after = cpu_seconds(pid);
    let client_cpu_after = cpu_seconds(std::process::id());
    // For each ballot, when the last voter saw a tally that includes it.
    let views: Vec<Vec<(u64, Instant)>> = voters
        .iter()
        .map(|v| {
            let mut s: Vec<(u64, Instant)> = v
                .seen
                .lock()
                .unwrap_or_else(|p| p.into_inner())
                .iter()
                .filter(|(id, _, _)| *id == poll_s)
                .map(|(_, ver, at)| (*ver, *at))
                .collect();
            s.sort_by_key(|(_, at)| *at);
            s
        })
        .collect();
    let first_at = |view: &[(u64, Instant)], version: u64| {
        view.iter().find(|(v, _)| *v >= version).map(|(_, at)| *at)
    };
    let mut latencies = Vec::with_capacity(n);
    let mut spread = Vec::with_capacity(n);
    let mut final_at = start;
    for (cast, acked, cursor) in &casts {
        let mut everywhere = *cast;
        for view in &views {
            let at = first_at(view, *cursor).context("a voter never saw a ballot")?;
            everywhere = everywhere.max(at);
        }
        final_at = final_at.max(everywhere);
        latencies.push((everywhere - *cast).as_secs_f64() * 1e3);
        spread.push(everywhere.saturating_duration_since(*acked).as_secs_f64() * 1e3);
    }
    let first_cast = casts.iter().map(|c| c.0).min().unwrap_or(start);
    for v in voters.iter() {
        v.seen.lock().unwrap_or_else(|p| p.into_inner()).clear();
    }
    Ok(Round {
        latencies_ms: sorted(latencies),
        spread_ms: sorted(spread),
        acks_ms: sorted(
            casts
                .iter()
                .map(|(c, a, _)| (*a - *c).as_secs_f64() * 1e3)
                .collect(),
        ),
        client_cpu_s: match (client_cpu_before, client_cpu_after) {
            (Some(a), Some(b)) => b - a,
            _ => f64::NAN,
        },
        final_ms: (final_at - first_cast).as_secs_f64() * 1e3,
        ballots_per_s: n as f64 / (last_ack - first_cast).as_secs_f64(),
        cpu_s: match (cpu_before, cpu_after) {
            (Some(a), Some(b)) => b - a,
            _ => f64::NAN,
        },
        window_s: (final_at - first_cast).as_secs_f64(),
    })
}

/// The same voters, the same schedule, `GET /api/v1/openapi.json` once each.
async fn reference_round(voters: &Arc<Vec<Voter>>) -> Result<Vec<f64>> {
    let n = voters.len();
    let start = Instant::now() + Duration::from_millis(200);
    let mut tasks = Vec::with_capacity(n);
    for i in 0..n {
        let voters = voters.clone();
        let at = start + Duration::from_micros(1_000_000 * i as u64 / n as u64);
        tasks.push(tokio::spawn(async move {
            tokio::time::sleep_until(at.into()).await;
            let t = Instant::now();
            let resp = voters[i]
                .api
                .request(reqwest::Method::GET, "/api/v1/openapi.json")
                .send()
                .await?;
            if !resp.status().is_success() {
                bail!("openapi.json: {}", resp.status());
            }
            resp.bytes().await?;
            Ok::<_, anyhow::Error>(t.elapsed().as_secs_f64() * 1e3)
        }));
    }
    let mut out = Vec::with_capacity(n);
    for t in tasks {
        out.push(t.await??);
    }
    Ok(sorted(out))
}

pub fn run(args: &[String]) -> Result<()> {
    let n: usize = match args.iter().position(|a| a == "--voters") {
        Some(i) => args.get(i + 1).context("--voters N")?.parse()?,
        None => 1000,
    };
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(async move {
        let tmp = tempfile::tempdir()?;
        let data = tmp.path().join("data");
        // Setup (not timed): a fresh server with the voters' accounts.
        crate::server::init_data(&data)?;
        crate::server::add_many(&data, "voter", n, "delegate")?;
        let (server, base) = crate::server::serve(&data)?;
        let pid = server.pid();
        eprintln!("bench votes: logging in {n} voters …");
        let admin = Api::anonymous(&base).login("admin", DEMO_PASSWORD).await?;
        let width = n.to_string().len().max(4);
        let logins: Vec<Result<Api>> = futures_util::stream::iter(1..=n)
            .map(|i| {
                let base = base.clone();
                async move {
                    // Its own HTTP client: its own connection, as a separate laptop has.
                    Api::anonymous(&base)
                        .login(&format!("voter{i:0width$}"), DEMO_PASSWORD)
                        .await
                }
            })
            .buffer_unordered(8)
            .collect()
            .await;
        let mut apis = Vec::with_capacity(n);
        for l in logins {
            apis.push(l?);
        }
        // The meeting: all voters are members; it is in session.
        let meeting_id = uuid::Uuid::now_v7();
        let now = phonghop_domain::Timestamp::now_utc();
        let fmt = |t: phonghop_domain::Timestamp| {
            t.format(&time::format_description::well_known::Rfc3339)
                .unwrap_or_default()
        };
        let mut ops = vec![json!({"type": "meeting.create", "meeting_id": meeting_id,
            "title": "Kỳ họp bất thường (bench)", "kind": "thematic", "room": "Hội trường",
            "starts_at": fmt(now), "ends_at": fmt(now + time::Duration::hours(4))})];
        for a in &apis {
            ops.push(json!({"type": "member.add", "meeting_id": meeting_id, "user_id": a.user_id(), "role": "member", "attendance": "in_room"}));
        }
        ops.push(json!({"type": "meeting.publish", "meeting_id": meeting_id}));
        ops.push(json!({"type": "meeting.status", "meeting_id": meeting_id, "status": "in_progress"}));
        // Roll call at the opening, as the secretary takes it: everyone is in the room
        // before the vote.
        for a in &apis {
            ops.push(json!({"type": "attendance.set", "meeting_id": meeting_id, "user_id": a.user_id(), "state": {"status": "in_room"}}));
        }
        for chunk in ops.chunks(400) {
            let r = admin.ops(chunk.to_vec()).await;
            if r.iter().any(|x| x["status"] != "accepted") {
                bail!("setting up the meeting failed: {r:?}");
            }
        }
        let meeting = json!({"id": meeting_id});

        eprintln!("bench votes: opening {n} live channels …");
        let mut voters = Vec::with_capacity(n);
        for a in apis {
            let seen: Seen = Arc::new(Mutex::new(Vec::new()));
            connect_live(&base, a.token.as_deref().context("token")?, seen.clone()).await?;
            // Warm the voter's HTTP connection, as an open app has.
            a.get("/api/v1/me").await;
            voters.push(Voter { api: a, seen });
        }
        let voters = Arc::new(voters);

        let mut rounds = Vec::new();
        let mut refs = Vec::new();
        for r in 0..ROUNDS {
            let round = vote_round(&admin, &meeting, &voters, pid).await?;
            eprintln!(
                "  round {}: cast → tally on all {n}: p50 {:.1} ms, p99 {:.1} ms (cast → ack p50 {:.1} ms, p99 {:.1} ms); final tally everywhere {:.0} ms after the first cast; {:.0} ballots/s; CPU: server {:.2} s, clients {:.2} s",
                r + 1,
                percentile(&round.latencies_ms, 50.0),
                percentile(&round.latencies_ms, 99.0),
                percentile(&round.acks_ms, 50.0),
                percentile(&round.acks_ms, 99.0),
                round.final_ms,
                round.ballots_per_s,
                round.cpu_s,
                round.client_cpu_s,
            );
            rounds.push(round);
            let reference = reference_round(&voters).await?;
            eprintln!(
                "  reference {}: GET /api/v1/openapi.json p50 {:.1} ms, p99 {:.1} ms",
                r + 1,
                percentile(&reference, 50.0),
                percentile(&reference, 99.0)
            );
            refs.push(reference);
        }
        // The median round by p99, each side.
        rounds.sort_by(|a, b| percentile(&a.latencies_ms, 99.0).total_cmp(&percentile(&b.latencies_ms, 99.0)));
        refs.sort_by(|a, b| percentile(a, 99.0).total_cmp(&percentile(b, 99.0)));
        let m = &rounds[ROUNDS / 2];
        let reference = &refs[ROUNDS / 2];
        println!(
            "{n} voters on live WebSockets, ballots cast within 1 s ({ROUNDS} rounds, median shown):"
        );
        println!(
            "  cast → tally incl. that ballot on every client: p50 {:.1} ms, p99 {:.1} ms, max {:.1} ms",
            percentile(&m.latencies_ms, 50.0),
            percentile(&m.latencies_ms, 99.0),
            m.latencies_ms.last().copied().unwrap_or(f64::NAN)
        );
        println!(
            "  the voter's acknowledgement → that tally on every client: p50 {:.1} ms, p99 {:.1} ms",
            percentile(&m.spread_ms, 50.0),
            percentile(&m.spread_ms, 99.0)
        );
        println!(
            "  final tally on every client {:.0} ms after the first cast; {:.0} ballots/s acknowledged",
            m.final_ms, m.ballots_per_s
        );
        println!(
            "  cast → the voter's own acknowledgement (committed): p50 {:.1} ms, p99 {:.1} ms",
            percentile(&m.acks_ms, 50.0),
            percentile(&m.acks_ms, 99.0)
        );
        println!(
            "  server CPU {:.2} s over {:.2} s ({:.0}% of one core); the {n} simulated clients {:.2} s — one machine of {} cores for both",
            m.cpu_s,
            m.window_s,
            100.0 * m.cpu_s / m.window_s,
            m.client_cpu_s,
            std::thread::available_parallelism().map_or(0, |p| p.get())
        );
        println!(
            "  reference: the same voters GET /api/v1/openapi.json once each on the same schedule: p50 {:.1} ms, p99 {:.1} ms",
            percentile(reference, 50.0),
            percentile(reference, 99.0)
        );
        crate::report(
            "votes",
            percentile(&m.latencies_ms, 99.0),
            percentile(reference, 99.0),
            "ms",
            false,
        );
        drop(server);
        Ok(())
    })
}
