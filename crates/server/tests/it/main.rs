//! The server's integration suite: the real server on 127.0.0.1:0 with a temp data dir.
#![allow(clippy::unwrap_used)]

mod annotations;
mod audit;
mod auth;
mod blobs;
mod cli;
mod feed;
mod live;
mod live_meeting;
mod ops;
mod store_conformance;
mod store_live_conformance;
mod tls;
mod video;
mod votes;

use phonghop_testkit::Api;
use serde_json::Value;

/// The id of the demo meeting whose title contains `needle`... or by day: past/today/next.
pub async fn meetings_of(api: &Api) -> Vec<Value> {
    let (changes, _, _) = api.pull(0, 500).await;
    changes
        .into_iter()
        .filter(|c| c["type"] == "meeting")
        .collect()
}

pub fn of_type<'a>(changes: &'a [Value], t: &str) -> Vec<&'a Value> {
    changes.iter().filter(|c| c["type"] == t).collect()
}

/// The demo meeting that `daibieu15` is not a member of (next week's).
pub async fn next_week_meeting(secretary: &Api) -> Value {
    let mut ms = meetings_of(secretary).await;
    ms.sort_by_key(|m| m["starts_at"].as_str().unwrap_or_default().to_owned());
    ms.pop().expect("demo meetings")
}

pub async fn today_meeting(secretary: &Api) -> Value {
    let mut ms = meetings_of(secretary).await;
    ms.sort_by_key(|m| m["starts_at"].as_str().unwrap_or_default().to_owned());
    ms.get(1).cloned().expect("three demo meetings")
}

/// A port free on 127.0.0.1 now.
pub fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port()
}

/// The real server binary serving `data` on 127.0.0.1:`port`, logging at `log`; the
/// caller says where its output goes.
pub fn serve(data: &std::path::Path, port: u16, log: &str) -> std::process::Command {
    let mut cmd = std::process::Command::new(env!("CARGO_BIN_EXE_phonghop-server"));
    cmd.args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .env("RUST_LOG", log);
    cmd
}
