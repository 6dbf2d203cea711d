//! `cargo xtask demo | test | bench <name>`: the README's commands. Each installs what
//! it needs when missing (apt packages when root, else it prints the exact command;
//! Python packages into a venv under the user's cache) and is idempotent.

mod app;
mod bench_render;
mod fixtures;
mod pdfium;
mod setup;
mod tools;
mod video;

use std::path::PathBuf;
use std::process::Command;

use anyhow::{Context, Result, bail};

const USAGE: &str = "usage: cargo xtask <command>

  demo [--check]        seed the demo province once and serve it on 127.0.0.1:8686
                        (--check: start it, log in once, stop — for CI and fresh clones)
                        …and open the desktop app signed in as daibieu01 (Xvfb when
                        there is no display; prints where it saved a screenshot)
  test                  install what tests need, then run every test of the workspace
                        (the app's WebDriver suite included)
  e2e                   the desktop app end to end: tauri-driver + WebKitWebDriver, Xvfb
  bundle                build the desktop app's .deb
  screenshots           every app screen into docs/screenshots (Xvfb)
  bench <name>          run a benchmark: sync-server, sync-client, render, sfu, app, votes
  pdfium                fetch PDFium (pypdfium2 wheel from PyPI) into the cache; print its path
  fixtures [--force]    make the PDF engine's test fixtures (pyHanko-signed PDFs etc.)
  lint                  cargo fmt --check and clippy -D warnings";

fn main() {
    if let Err(e) = run() {
        eprintln!("xtask: error: {e:#}");
        std::process::exit(1);
    }
}

fn run() -> Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let rest: Vec<&str> = args.iter().skip(1).map(String::as_str).collect();
    match args.first().map(String::as_str) {
        Some("demo") => demo(rest.contains(&"--check")),
        Some("test") => test(),
        Some("lint") => lint(),
        Some("e2e") => app::run_e2e(),
        Some("bundle") => app::bundle(),
        Some("screenshots") => app::screenshots(),
        Some("pdfium") => {
            println!("{}", pdfium::ensure_pdfium()?.display());
            Ok(())
        }
        Some("fixtures") => fixtures::run(&rest),
        Some("bench") => match rest.first() {
            Some(name) => bench(name, &rest[1..]),
            None => bail!("which benchmark? {USAGE}"),
        },
        _ => {
            eprintln!("{USAGE}");
            std::process::exit(2);
        }
    }
}

pub fn root() -> PathBuf {
    // `cargo run` sets CARGO_MANIFEST_DIR at run time too. Prefer it to the compile-time
    // value: two checkouts sharing one CARGO_TARGET_DIR share one xtask binary, which
    // cargo does not rebuild when only the checkout changes.
    let manifest_dir = std::env::var_os("CARGO_MANIFEST_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| PathBuf::from(env!("CARGO_MANIFEST_DIR")));
    manifest_dir
        .parent()
        .expect("xtask lives in the workspace")
        .to_path_buf()
}

/// Runs a command (from the workspace root unless it has a directory of its own),
/// failing with its exit status.
pub fn run_cmd(cmd: &mut Command) -> Result<()> {
    let shown = format!("{cmd:?}");
    eprintln!("xtask: $ {shown}");
    if cmd.get_current_dir().is_none() {
        cmd.current_dir(root());
    }
    let status = cmd
        .status()
        .with_context(|| format!("cannot start {shown}"))?;
    if !status.success() {
        bail!("{shown} failed ({status})");
    }
    Ok(())
}

pub fn cargo() -> Command {
    Command::new(std::env::var("CARGO").unwrap_or_else(|_| "cargo".into()))
}

/// The cargo target dir children build into (the same one `cargo xtask` runs from).
pub fn target_dir() -> PathBuf {
    std::env::var_os("CARGO_TARGET_DIR")
        .map(PathBuf::from)
        .unwrap_or_else(|| root().join("target"))
}

fn lint() -> Result<()> {
    run_cmd(cargo().args(["fmt", "--all", "--", "--check"]))?;
    run_cmd(cargo().args([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
    ]))
}

fn test() -> Result<()> {
    setup::ensure_test_tools()?;
    pdfium::ensure_pdfium()?;
    fixtures::ensure_fixtures()?;
    video::ensure_video_tools()?;
    app::ensure_app_tools()?;
    // The app's crate embeds ui/dist: build the UI before anything compiles it.
    app::build_app(false)?;
    lint()?;
    run_cmd(cargo().args(["test", "--workspace", "--no-fail-fast"]))?;
    // Two real browsers in a video room through the real server.
    video::run_browser_tests()?;
    // The desktop app through WebDriver against the real server.
    app::run_e2e()?;
    // The demo command itself, end to end, as a new user runs it.
    demo(true)?;
    eprintln!("xtask: every test passed");
    Ok(())
}

const DEMO_ADDR: &str = "127.0.0.1:8686";
const DEMO_PASSWORD: &str = "phonghop-demo";

fn demo(check: bool) -> Result<()> {
    run_cmd(cargo().args(["build", "--quiet", "-p", "phonghop-server"]))?;
    let server = target_dir().join("debug/phonghop-server");
    let data = if check {
        let d = std::env::temp_dir().join(format!("phonghop-demo-check-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        d
    } else {
        dirs::data_dir()
            .context("no user data directory")?
            .join("phonghop/demo-server")
    };
    if !data.join("phonghop.db").exists() {
        let mut init = Command::new(&server);
        init.args(["init", "--admin-password-stdin", "--data"])
            .arg(&data);
        setup::run_with_stdin(&mut init, DEMO_PASSWORD)?;
    }
    run_cmd(
        Command::new(&server)
            .arg("seed-demo")
            .arg("--data")
            .arg(&data),
    )?;
    let addr = if check { "127.0.0.1:18686" } else { DEMO_ADDR };
    println!();
    println!(
        "PhòngHọp demo server: http://{addr}  (data: {})",
        data.display()
    );
    println!("  API description: http://{addr}/api/v1/openapi.json");
    println!("  Demo logins, password '{DEMO_PASSWORD}' for all:");
    println!("    admin       quản trị hệ thống");
    println!("    thuky       thư ký (secretary)");
    println!("    chutoa      chủ tọa (chair)");
    println!(
        "    daibieu01 … daibieu15   đại biểu (delegates; daibieu15 is not in next week's meeting)"
    );
    println!("    khach01, khach02        khách mời (guests)");
    println!();
    let mut child = Command::new(&server)
        .args(["serve", "--listen", addr, "--data"])
        .arg(&data)
        .spawn()
        .context("start the demo server")?;
    if !check {
        let url = format!("http://{addr}");
        let app = setup::wait_for_port(addr).and_then(|()| app::demo_app(&url));
        let mut app = match app {
            Ok(a) => Some(a),
            Err(e) => {
                eprintln!("xtask: the desktop app did not start: {e:#}");
                None
            }
        };
        let status = child.wait()?;
        if let Some(a) = &mut app {
            let _ = a.kill();
            let _ = a.wait();
        }
        if !status.success() {
            bail!("the demo server stopped: {status}");
        }
        return Ok(());
    }
    let result = setup::check_demo_login(addr, "daibieu01", DEMO_PASSWORD);
    let _ = child.kill();
    let _ = child.wait();
    let _ = std::fs::remove_dir_all(&data);
    result?;
    println!("xtask: demo check passed: the seeded server answered a login as daibieu01");
    Ok(())
}

/// A `phonghop-bench` scenario against release builds of the server (and the CLI when
/// `with_cli`), found through `PHONGHOP_SERVER_BIN` / `PHONGHOP_CLI_BIN`.
fn run_bench(scenario: &str, extra: &[&str], with_cli: bool) -> Result<()> {
    let mut build = cargo();
    build.args([
        "build",
        "--release",
        "-p",
        "phonghop-server",
        "-p",
        "phonghop-bench",
    ]);
    if with_cli {
        build.args(["-p", "phonghop-cli"]);
    }
    run_cmd(&mut build)?;
    let release = target_dir().join("release");
    let mut cmd = Command::new(release.join("phonghop-bench"));
    cmd.arg(scenario)
        .args(extra)
        .env("PHONGHOP_SERVER_BIN", release.join("phonghop-server"));
    if with_cli {
        cmd.env("PHONGHOP_CLI_BIN", release.join("phonghop"));
    }
    run_cmd(&mut cmd)
}

fn bench(name: &str, extra: &[&str]) -> Result<()> {
    match name {
        "sync-server" => {
            // procps: `kill`, to stop nginx's master with its workers.
            setup::ensure_apt(&[("nginx", "nginx"), ("procps", "kill")])?;
            run_bench("sync-server", extra, false)
        }
        "sync-client" => {
            setup::ensure_apt(&[("nginx", "nginx"), ("curl", "curl"), ("procps", "kill")])?;
            run_bench("sync-client", extra, true)
        }
        "render" => bench_render::render(extra),
        "votes" => run_bench("votes", extra, false),
        "sfu" => run_bench("sfu", extra, false),
        "app" => app::bench_app(),
        other => {
            bail!(
                "no benchmark called {other:?}; known: sync-server, sync-client, render, sfu, app, votes"
            )
        }
    }
}
