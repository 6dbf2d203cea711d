//! `phonghop`: the PhòngHọp client engine from a terminal — for scripting, support and
//! benchmarks. Errors are one line on stderr and a non-zero exit.

mod client;
mod live;
mod pdf;

use std::path::PathBuf;

use clap::{Parser, Subcommand};

#[derive(Parser)]
#[command(name = "phonghop", version, about = "PhòngHọp from the terminal")]
pub struct Cli {
    /// The local cache (default: the OS data directory's phonghop/client).
    #[arg(long, global = true, env = "PHONGHOP_CACHE")]
    pub cache: Option<PathBuf>,
    /// JSON output for scripts.
    #[arg(long, global = true)]
    pub json: bool,
    #[command(subcommand)]
    pub command: Command,
}

#[derive(Subcommand)]
pub enum Command {
    #[command(flatten)]
    Client(client::ClientCommand),
    #[command(flatten)]
    Live(live::LiveCommand),
    /// Render, read, search and verify PDF documents.
    #[command(subcommand)]
    Pdf(pdf::PdfCommand),
}

fn main() {
    let cli = Cli::parse();
    let result = match &cli.command {
        Command::Client(c) => client::run(&cli, c),
        Command::Live(c) => live::run(&cli, c),
        Command::Pdf(p) => pdf::run(p.clone(), cli.json).map(|()| 0),
    };
    match result {
        Ok(code) => std::process::exit(code),
        Err(e) => {
            eprintln!("error: {e:#}");
            std::process::exit(1);
        }
    }
}
