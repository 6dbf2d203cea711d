//! `phonghop-bench <name>`: run by `cargo xtask bench <name>`. Every benchmark ends with
//! one line: `bench <name>: ours=<x> <unit> reference=<y> <unit> ratio=<ours/reference> (<lower|higher> is better)`.

mod nginx;
mod server;
mod sfu;
mod sync_client;
mod sync_server;
mod votes;

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let result = match args.first().map(String::as_str) {
        Some("sync-server") => sync_server::run(&args[1..]),
        Some("sync-client") => sync_client::run(&args[1..]),
        Some("votes") => votes::run(&args[1..]),
        Some("sfu") => sfu::run(&args[1..]),
        Some("sfu-relay") => sfu::relay_main(&args[1..]),
        _ => Err(anyhow::anyhow!(
            "usage: phonghop-bench sync-server [--clients N] | sync-client | sfu [--subscribers 10,50] [--seconds S] | votes [--voters N]"
        )),
    };
    if let Err(e) = result {
        eprintln!("bench: error: {e:#}");
        std::process::exit(1);
    }
}

/// Prints the closing line every benchmark ends with.
pub fn report(name: &str, ours: f64, reference: f64, unit: &str, higher_is_better: bool) {
    let ratio = if reference > 0.0 {
        ours / reference
    } else {
        f64::NAN
    };
    let better = if higher_is_better { "higher" } else { "lower" };
    println!(
        "bench {name}: ours={ours:.2} {unit} reference={reference:.2} {unit} ratio={ratio:.3} ({better} is better)"
    );
}

/// A free loopback port.
pub fn free_port() -> anyhow::Result<u16> {
    Ok(std::net::TcpListener::bind("127.0.0.1:0")?
        .local_addr()?
        .port())
}
