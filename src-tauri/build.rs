//! Tauri's build step. The config is the repository root's `tauri.conf.json`, read
//! through the `src-tauri/tauri.conf.json` symlink so that its paths are relative to
//! this crate for the build, the context macro and the bundler alike. The app manifest
//! lists the commands, so the capability file can allow exactly the ones the UI uses.

const COMMANDS: &[&str] = &[
    "session_restore",
    "login",
    "logout",
    "meetings_list",
    "meeting_detail",
    "document_open",
    "document_search",
    "page_text",
    "document_export",
    "annotations_list",
    "annotation_save",
    "annotation_delete",
    "notes_list",
    "note_save",
    "note_delete",
    "status",
    "sync_now",
    "dismiss_rejected",
    "live_view",
    "attendance_check_in",
    "speak_request",
    "speak_withdraw",
    "speak_grant",
    "speak_end",
    "current_item_set",
    "poll_create",
    "poll_open",
    "poll_close",
    "vote",
    "projector_open",
    "present_page",
    "present_stop",
];

fn main() {
    let attrs = tauri_build::Attributes::new()
        .config_path("tauri.conf.json")
        .app_manifest(tauri_build::AppManifest::new().commands(COMMANDS));
    if let Err(e) = tauri_build::try_build(attrs) {
        eprintln!("tauri build step failed: {e:#}");
        std::process::exit(1);
    }
}
