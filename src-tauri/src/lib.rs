//! The PhòngHọp desktop shell: Tauri 2 commands and events over the client engine
//! (`phonghop-client`) and the PDF engine (`phonghop-pdf`), and the `page://` scheme that
//! serves rendered pages. No business rules live here.

pub mod bindings;
pub mod commands;
pub mod dto;
pub mod error;
pub mod scheme;
pub mod state;
pub mod sync;

use std::path::PathBuf;

use tauri::Manager;

use crate::state::App;

/// Where the client engine keeps its cache: `--data-dir DIR`, else `PHONGHOP_APP_DATA`,
/// else the OS data directory.
pub fn data_root() -> PathBuf {
    let mut args = std::env::args().skip(1);
    while let Some(a) = args.next() {
        if a == "--data-dir"
            && let Some(d) = args.next()
        {
            return PathBuf::from(d);
        }
        if let Some(d) = a.strip_prefix("--data-dir=") {
            return PathBuf::from(d);
        }
    }
    if let Some(d) = std::env::var_os("PHONGHOP_APP_DATA") {
        return PathBuf::from(d);
    }
    dirs::data_dir()
        .unwrap_or_else(std::env::temp_dir)
        .join("phonghop/app")
}

/// PDFium ships beside the app in the .deb (`/usr/lib/PhongHop/libpdfium.so`); the PDF
/// engine finds it through `PHONGHOP_PDFIUM` when it is not next to the binary.
fn point_to_bundled_pdfium(app: &tauri::App) {
    if std::env::var_os("PHONGHOP_PDFIUM").is_some() {
        return;
    }
    if let Ok(dir) = app.path().resource_dir() {
        let lib = dir.join("libpdfium.so");
        if lib.is_file() {
            // SAFETY: runs during setup, before any thread of ours reads the environment.
            #[allow(unsafe_code)]
            unsafe {
                std::env::set_var("PHONGHOP_PDFIUM", &lib);
            }
        }
    }
}

/// `phonghop-desktop --bench-render FILE WIDTH ROUNDS`: the raw PDFium render of page 1
/// through the PDF engine (cache off), for `cargo xtask bench app` to compare against.
/// Prints one JSON line with the median milliseconds.
pub fn bench_render(args: &[String]) -> Result<(), String> {
    let [file, width, rounds] = args else {
        return Err("usage: phonghop-desktop --bench-render FILE WIDTH ROUNDS".into());
    };
    let width: u32 = width.parse().map_err(|e| format!("width: {e}"))?;
    let rounds: usize = rounds.parse().map_err(|e| format!("rounds: {e}"))?;
    let engine = phonghop_pdf::PdfEngine::global().map_err(|e| e.to_string())?;
    engine.set_cache_budget(0);
    let t0 = std::time::Instant::now();
    let doc = engine
        .open(std::path::Path::new(file))
        .wait()
        .map_err(|e| e.to_string())?;
    let open_ms = t0.elapsed().as_secs_f64() * 1000.0;
    let mut times = Vec::new();
    for _ in 0..rounds.max(1) {
        let t = std::time::Instant::now();
        doc.render(0, phonghop_pdf::RenderSize::Width(width))
            .wait()
            .map_err(|e| e.to_string())?;
        times.push(t.elapsed().as_secs_f64() * 1000.0);
    }
    times.sort_by(f64::total_cmp);
    let median = times[times.len() / 2];
    println!(
        "{}",
        serde_json::json!({"open_ms": open_ms, "first_render_ms": times.first(), "median_render_ms": median, "width": width})
    );
    Ok(())
}

pub fn run() {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| "info,phonghop=debug".into()),
        )
        .with_writer(std::io::stderr)
        .init();
    let root = data_root();
    let result = tauri::Builder::default()
        .register_asynchronous_uri_scheme_protocol(scheme::SCHEME, scheme::handle)
        .setup(move |app| {
            point_to_bundled_pdfium(app);
            app.manage(App::new(root));
            // `PHONGHOP_WINDOW_SIZE=1024x768`: the tablet size, for screenshots and tests.
            if let Some((w, h)) = std::env::var("PHONGHOP_WINDOW_SIZE")
                .ok()
                .and_then(|s| {
                    s.split_once('x')
                        .map(|(w, h)| (w.parse::<f64>(), h.parse::<f64>()))
                })
                .and_then(|(w, h)| Some((w.ok()?, h.ok()?)))
                && let Some(win) = app.get_webview_window("main")
            {
                let _ = win.set_size(tauri::LogicalSize::new(w, h));
                let _ = win.set_position(tauri::LogicalPosition::new(0.0, 0.0));
            }
            Ok(())
        })
        .invoke_handler(tauri::generate_handler![
            commands::session::session_restore,
            commands::session::login,
            commands::session::logout,
            commands::meetings::meetings_list,
            commands::meetings::meeting_detail,
            commands::documents::document_open,
            commands::documents::document_search,
            commands::documents::page_text,
            commands::documents::document_export,
            commands::annotations::annotations_list,
            commands::annotations::annotation_save,
            commands::annotations::annotation_delete,
            commands::notes::notes_list,
            commands::notes::note_save,
            commands::notes::note_delete,
            commands::status::status,
            commands::status::sync_now,
            commands::status::dismiss_rejected,
            commands::live::live_view,
            commands::live::attendance_check_in,
            commands::live::speak_request,
            commands::live::speak_withdraw,
            commands::live::speak_grant,
            commands::live::speak_end,
            commands::live::current_item_set,
            commands::live::poll_create,
            commands::live::poll_open,
            commands::live::poll_close,
            commands::live::vote,
            commands::live::projector_open,
            commands::live::present_page,
            commands::live::present_stop,
        ])
        .run(tauri::generate_context!("tauri.conf.json"));
    if let Err(e) = result {
        tracing::error!("the app failed: {e}");
        std::process::exit(1);
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    fn permissions(file: &str) -> BTreeSet<String> {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("capabilities")
            .join(file);
        let v: serde_json::Value =
            serde_json::from_str(&std::fs::read_to_string(path).unwrap()).unwrap();
        v["permissions"]
            .as_array()
            .unwrap()
            .iter()
            .filter_map(|p| p.as_str())
            .filter(|p| !p.starts_with("core:"))
            .map(str::to_owned)
            .collect()
    }

    /// The main window may call exactly the commands the UI calls (every call goes
    /// through `call<…>('command', …)` in ui/src/lib/api.ts); the projector window only
    /// reads the live meeting.
    #[test]
    fn capabilities_allow_only_the_commands_the_ui_calls() {
        let api = std::fs::read_to_string(
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/api.ts"),
        )
        .unwrap();
        let called: BTreeSet<String> = api
            .split("call<")
            .skip(1)
            .filter_map(|s| s.split('\'').nth(1))
            .map(|c| format!("allow-{}", c.replace('_', "-")))
            .collect();
        assert!(called.len() > 20, "{called:?}");
        assert_eq!(permissions("main.json"), called);
        assert_eq!(
            permissions("projector.json"),
            BTreeSet::from(["allow-live-view".to_owned()])
        );
    }
}
