// No console window on Windows release builds.
#![cfg_attr(not(debug_assertions), windows_subsystem = "windows")]

fn main() {
    let args: Vec<String> = std::env::args().skip(1).collect();
    if args.first().map(String::as_str) == Some("--bench-render") {
        if let Err(e) = phonghop_desktop::bench_render(&args[1..]) {
            eprintln!("phonghop-desktop: {e}");
            std::process::exit(1);
        }
        return;
    }
    phonghop_desktop::run();
}
