//! `cargo xtask <command>`: the README's commands.

mod bench;
mod fixtures;
mod pdfium;
mod tools;

#[allow(unused_imports)]
pub use fixtures::ensure_fixtures;
#[allow(unused_imports)]
pub use pdfium::ensure_pdfium;

fn main() -> anyhow::Result<()> {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let args: Vec<&str> = args.iter().map(String::as_str).collect();
    match args.as_slice() {
        ["pdfium"] => {
            println!("{}", pdfium::ensure_pdfium()?.display());
        }
        ["fixtures", rest @ ..] => fixtures::run(rest)?,
        ["bench", "render", rest @ ..] => bench::render(rest)?,
        _ => {
            eprintln!("usage: cargo xtask pdfium | fixtures [--force] | bench render");
            std::process::exit(2);
        }
    }
    Ok(())
}
