//! The browser video tests (tests/video): Debian's Chromium driven by playwright-core,
//! against a real server seeded with the demo province. `ensure_video_tools` installs
//! what they need (idempotent); `run_browser_tests` starts the server and runs them.

use std::net::TcpStream;
use std::path::PathBuf;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};

use crate::{cargo, root, run_cmd, setup, target_dir};

const CHROMIUM: &str = "/usr/bin/chromium";

fn tests_dir() -> PathBuf {
    root().join("tests/video")
}

/// Chromium, Node.js with npm, and playwright-core (from the lock file) in tests/video.
pub fn ensure_video_tools() -> Result<()> {
    setup::ensure_apt(&[("chromium", "chromium")])?;
    crate::tools::ensure_node()?;
    if !std::path::Path::new(CHROMIUM).exists() {
        bail!("{CHROMIUM} is missing even though the chromium package is installed");
    }
    crate::app::ensure_npm(&tests_dir()).context("npm ci in tests/video")
}

struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn free_port() -> Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}

/// Builds the server, seeds a fresh data dir with the demo province, serves it on a
/// free loopback port, and runs the browser suite against it.
pub fn run_browser_tests() -> Result<()> {
    ensure_video_tools()?;
    run_cmd(cargo().args(["build", "--quiet", "-p", "phonghop-server"]))?;
    let bin = target_dir().join("debug/phonghop-server");
    let data = std::env::temp_dir().join(format!("phonghop-video-test-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&data);
    let mut init = Command::new(&bin);
    init.args(["init", "--admin-password-stdin", "--data"])
        .arg(&data);
    setup::run_with_stdin(&mut init, "phonghop-demo")?;
    run_cmd(
        Command::new(&bin)
            .args(["seed-demo", "--data"])
            .arg(&data)
            .stdout(Stdio::null()),
    )?;
    let port = free_port()?;
    let addr = format!("127.0.0.1:{port}");
    let server = Server(
        Command::new(&bin)
            .args(["serve", "--listen", &addr, "--data"])
            .arg(&data)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::null())
            .spawn()
            .context("start the server")?,
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    while TcpStream::connect(&addr).is_err() {
        if Instant::now() > deadline {
            bail!("the server did not come up on {addr}");
        }
        std::thread::sleep(Duration::from_millis(100));
    }
    let result = run_cmd(
        crate::tools::node_cmd("npm")
            .arg("--prefix")
            .arg(tests_dir())
            .arg("test")
            .env("PHONGHOP_URL", format!("http://{addr}")),
    );
    drop(server);
    let _ = std::fs::remove_dir_all(&data);
    result.context("the browser video tests failed")
}
