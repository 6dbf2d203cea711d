//! The release server as a child process over a seeded temp data dir.

use std::path::Path;
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use anyhow::{Context, Result, bail};
use phonghop_testkit::DEMO_PASSWORD;

pub struct ServerProcess(Child);

impl ServerProcess {
    pub fn pid(&self) -> u32 {
        self.0.id()
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

pub fn server_bin() -> Result<std::path::PathBuf> {
    std::env::var_os("PHONGHOP_SERVER_BIN")
        .map(Into::into)
        .context("PHONGHOP_SERVER_BIN is not set; run through `cargo xtask bench`")
}

/// `init` into `data`, the admin's password being the demo one.
pub fn init_data(data: &Path) -> Result<()> {
    run_with_stdin(
        Command::new(server_bin()?)
            .args(["init", "--admin-password-stdin", "--data"])
            .arg(data)
            .stdout(Stdio::null()),
        DEMO_PASSWORD,
    )
}

/// `user add-many`: PREFIX0001 … with the demo password.
pub fn add_many(data: &Path, prefix: &str, count: usize, role: &str) -> Result<()> {
    let mut cmd = Command::new(server_bin()?);
    cmd.args([
        "user",
        "add-many",
        "--prefix",
        prefix,
        "--count",
        &count.to_string(),
        "--role",
        role,
        "--password-stdin",
        "--data",
    ])
    .arg(data)
    .stdout(Stdio::null());
    run_with_stdin(&mut cmd, DEMO_PASSWORD)
}

/// `init` + `seed-demo` into `data`.
pub fn prepare_data(data: &Path) -> Result<()> {
    let bin = server_bin()?;
    init_data(data)?;
    if !Command::new(&bin)
        .args(["seed-demo", "--data"])
        .arg(data)
        .stdout(Stdio::null())
        .status()?
        .success()
    {
        bail!("seed-demo failed");
    }
    Ok(())
}

pub fn add_user(data: &Path, username: &str, full_name: &str, role: &str) -> Result<()> {
    let bin = server_bin()?;
    let mut cmd = Command::new(&bin);
    cmd.args([
        "user",
        "add",
        "--username",
        username,
        "--full-name",
        full_name,
        "--role",
        role,
        "--password-stdin",
        "--data",
    ])
    .arg(data)
    .stdout(Stdio::null());
    run_with_stdin(&mut cmd, DEMO_PASSWORD)
}

fn run_with_stdin(cmd: &mut Command, input: &str) -> Result<()> {
    use std::io::Write;
    let mut child = cmd.stdin(Stdio::piped()).spawn()?;
    child
        .stdin
        .take()
        .context("stdin")?
        .write_all(input.as_bytes())?;
    if !child.wait()?.success() {
        bail!("{cmd:?} failed");
    }
    Ok(())
}

/// Serves `data` on a free loopback port; returns the process guard and the base URL.
pub fn serve(data: &Path) -> Result<(ServerProcess, String)> {
    let bin = server_bin()?;
    let port = crate::free_port()?;
    let child = Command::new(&bin)
        .args(["serve", "--listen", &format!("127.0.0.1:{port}"), "--data"])
        .arg(data)
        .env(
            "RUST_LOG",
            std::env::var("PHONGHOP_BENCH_SERVER_LOG").unwrap_or_else(|_| "warn".into()),
        )
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

/// A seeded demo server.
pub fn start_server(data: &Path) -> Result<(ServerProcess, String)> {
    prepare_data(data)?;
    serve(data)
}
