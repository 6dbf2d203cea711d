//! `phonghop`: the PhòngHọp client engine from a terminal.

mod pdf;

use clap::{Parser, Subcommand};

#[derive(Debug, Parser)]
#[command(name = "phonghop", version, about = "PhòngHọp from a terminal")]
struct Cli {
    /// Print machine-readable JSON instead of text.
    #[arg(long, global = true)]
    json: bool,
    #[command(subcommand)]
    command: Command,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Render, read, search and verify PDF documents.
    #[command(subcommand)]
    Pdf(pdf::PdfCommand),
}

/// Options every subcommand sees.
#[derive(Debug, Clone, Copy)]
pub struct Global {
    pub json: bool,
}

fn main() -> std::process::ExitCode {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| tracing_subscriber::EnvFilter::new("warn")),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    let global = Global { json: cli.json };
    let result = match cli.command {
        Command::Pdf(cmd) => pdf::run(cmd, global),
    };
    match result {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("phonghop: {e:#}");
            std::process::ExitCode::FAILURE
        }
    }
}
