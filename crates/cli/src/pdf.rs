//! `phonghop pdf …`: the PDF engine from a terminal. Page numbers are 1-based here, as
//! people count them.

use std::path::PathBuf;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use phonghop_pdf::{
    ImageFormat, PdfDocument, PdfEngine, RenderSize, TrustStore, Verdict, verify_pdf,
};
use serde::Serialize;

#[derive(Debug, Clone, Subcommand)]
pub enum PdfCommand {
    /// Render one page to a PNG or WebP file (format from the extension).
    Render {
        file: PathBuf,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
        /// Resolution in dots per inch.
        #[arg(long, default_value_t = 150.0, conflicts_with = "width")]
        dpi: f32,
        /// Exact width in pixels instead of a DPI.
        #[arg(long)]
        width: Option<u32>,
        #[arg(short, long)]
        output: PathBuf,
    },
    /// Print the text of one page.
    Text {
        file: PathBuf,
        /// Page number, from 1.
        #[arg(long, default_value_t = 1)]
        page: u32,
    },
    /// Find text (case- and diacritic-insensitive: "nghi quyet" finds "Nghị quyết").
    Search { file: PathBuf, query: String },
    /// Verify the digital signatures (ký số) of a PDF against a trust store.
    Verify {
        file: PathBuf,
        /// Directory of trusted root certificates (PEM or DER).
        #[arg(long)]
        trust: Option<PathBuf>,
    },
    /// Page count and page sizes.
    Info { file: PathBuf },
}

pub fn run(cmd: PdfCommand, json: bool) -> Result<()> {
    let global = Global { json };
    match cmd {
        PdfCommand::Verify { file, trust } => verify(&file, trust.as_deref(), global),
        other => {
            let rt = tokio::runtime::Builder::new_current_thread()
                .build()
                .context("starting the async runtime")?;
            rt.block_on(run_engine(other, global))
        }
    }
}

async fn open(file: &std::path::Path) -> Result<PdfDocument> {
    let engine = PdfEngine::global()?;
    engine
        .open(file)
        .await
        .with_context(|| format!("cannot open {}", file.display()))
}

fn page_index(doc: &PdfDocument, page: u32) -> Result<u32> {
    if page == 0 || page > doc.page_count() {
        bail!(
            "page {page} does not exist (the document has {} pages)",
            doc.page_count()
        );
    }
    Ok(page - 1)
}

async fn run_engine(cmd: PdfCommand, global: Global) -> Result<()> {
    match cmd {
        PdfCommand::Render {
            file,
            page,
            dpi,
            width,
            output,
        } => {
            let format = output
                .extension()
                .and_then(|e| e.to_str())
                .and_then(ImageFormat::from_extension)
                .context("output must end in .png or .webp")?;
            let doc = open(&file).await?;
            let index = page_index(&doc, page)?;
            let size = width.map_or(RenderSize::Dpi(dpi), RenderSize::Width);
            let img = doc.render(index, size).await?;
            let bytes = img.encode(format)?;
            std::fs::write(&output, bytes)
                .with_context(|| format!("cannot write {}", output.display()))?;
            if global.json {
                print_json(&serde_json::json!({
                    "page": page, "width": img.width, "height": img.height,
                    "output": output,
                }))?;
            } else {
                println!(
                    "{}: page {page} → {}×{} px",
                    output.display(),
                    img.width,
                    img.height
                );
            }
        }
        PdfCommand::Text { file, page } => {
            let doc = open(&file).await?;
            let index = page_index(&doc, page)?;
            let text = doc.page_text(index).await?;
            if global.json {
                #[derive(Serialize)]
                struct Out<'a> {
                    page: u32,
                    text: &'a str,
                    chars: &'a [phonghop_pdf::TextChar],
                }
                print_json(&Out {
                    page,
                    text: &text.text,
                    chars: &text.chars,
                })?;
            } else {
                println!("{}", text.text);
            }
        }
        PdfCommand::Search { file, query } => {
            let doc = open(&file).await?;
            let hits = doc.search(&query).await?;
            if global.json {
                #[derive(Serialize)]
                struct Hit<'a> {
                    page: u32,
                    text: &'a str,
                    quads: &'a [phonghop_pdf::Quad],
                }
                let out: Vec<Hit<'_>> = hits
                    .iter()
                    .map(|h| Hit {
                        page: h.page + 1,
                        text: &h.text,
                        quads: &h.quads,
                    })
                    .collect();
                print_json(&out)?;
            } else {
                for h in &hits {
                    println!("page {}: {}", h.page + 1, h.text.replace('\n', " "));
                }
                println!("{} hit(s)", hits.len());
            }
        }
        PdfCommand::Info { file } => {
            let doc = open(&file).await?;
            if global.json {
                print_json(&serde_json::json!({
                    "pages": doc.page_count(),
                    "sizes": doc.page_sizes(),
                    "sha256": doc.blob().as_str(),
                }))?;
            } else {
                println!("{} pages, sha256 {}", doc.page_count(), doc.blob().as_str());
                for (i, s) in doc.page_sizes().iter().enumerate() {
                    println!("page {}: {:.1} × {:.1} pt", i + 1, s.width, s.height);
                }
            }
        }
        PdfCommand::Verify { .. } => unreachable!("handled without the engine"),
    }
    Ok(())
}

fn verify(file: &std::path::Path, trust: Option<&std::path::Path>, global: Global) -> Result<()> {
    let store = match trust {
        Some(dir) => TrustStore::from_dir(dir)?,
        None => TrustStore::default(),
    };
    let bytes = std::fs::read(file).with_context(|| format!("cannot read {}", file.display()))?;
    let report =
        verify_pdf(&bytes, &store).with_context(|| format!("cannot examine {}", file.display()))?;
    if global.json {
        print_json(&report)?;
        return Ok(());
    }
    println!("{}: {}", file.display(), report.document.as_str());
    for (i, s) in report.signatures.iter().enumerate() {
        let who = match (&s.signer, &s.organization) {
            (Some(n), Some(o)) => format!("{n} ({o})"),
            (Some(n), None) => n.clone(),
            _ => "unknown signer".to_owned(),
        };
        let time = s.signing_time.as_deref().unwrap_or("no signing time");
        print!("  #{}: {} — {who}, {time}", i + 1, s.verdict.as_str());
        if s.verdict != Verdict::Valid
            && let Some(why) = &s.why
        {
            print!(": {why}");
        }
        println!();
    }
    Ok(())
}

#[derive(Debug, Clone, Copy)]
struct Global {
    json: bool,
}

fn print_json<T: Serialize + ?Sized>(value: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}
