//! The TypeScript bindings: one generated file, `ui/src/lib/bindings.ts`, committed and
//! never edited by hand. `cargo test -p phonghop-desktop` fails when it is stale;
//! `PHONGHOP_WRITE_BINDINGS=1 cargo test -p phonghop-desktop bindings` rewrites it.

use ts_rs::TS;

use crate::dto::*;
use crate::error::{AppError, Code};

fn decl<T: TS>() -> String {
    format!("export {}\n", T::decl(&ts_rs::Config::default()))
}

/// The whole file.
pub fn generate() -> String {
    let mut out = String::from(
        "// Generated from src-tauri/src/dto.rs and error.rs by `bindings::generate`.\n\
         // Do not edit: run `PHONGHOP_WRITE_BINDINGS=1 cargo test -p phonghop-desktop bindings`.\n\n",
    );
    for d in [
        decl::<Code>(),
        decl::<AppError>(),
        decl::<SessionInfo>(),
        decl::<MeetingSummary>(),
        decl::<SignatureStatus>(),
        decl::<SignatureView>(),
        decl::<DocumentView>(),
        decl::<AgendaItemView>(),
        decl::<MeetingDetail>(),
        decl::<NoteView>(),
        decl::<PageSize>(),
        decl::<OpenedDocument>(),
        decl::<SearchHitView>(),
        decl::<CharBox>(),
        decl::<AnnotationBodyView>(),
        decl::<AnnotationView>(),
        decl::<AnnotationInput>(),
        decl::<RejectedView>(),
        decl::<DownloadProgress>(),
        decl::<StatusView>(),
        decl::<LiveItem>(),
        decl::<SpeakView>(),
        decl::<AttendanceView>(),
        decl::<OptionResultView>(),
        decl::<PollResultView>(),
        decl::<PollView>(),
        decl::<PresentationView>(),
        decl::<LiveView>(),
        decl::<LiveEvent>(),
    ] {
        out.push_str(&d);
        out.push('\n');
    }
    out.push_str(&format!(
        "export const EVENT_STATUS = \"{EVENT_STATUS}\";\nexport const EVENT_DATA_CHANGED = \"{EVENT_DATA_CHANGED}\";\nexport const EVENT_SESSION_ENDED = \"{EVENT_SESSION_ENDED}\";\nexport const EVENT_LIVE = \"{EVENT_LIVE}\";\n"
    ));
    out
}

#[cfg(test)]
mod tests {
    #![allow(clippy::unwrap_used)]

    #[test]
    fn bindings_are_up_to_date() {
        let path =
            std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../ui/src/lib/bindings.ts");
        let fresh = super::generate();
        if std::env::var_os("PHONGHOP_WRITE_BINDINGS").is_some() {
            std::fs::write(&path, &fresh).unwrap();
            return;
        }
        let committed = std::fs::read_to_string(&path).unwrap_or_default();
        assert!(
            committed == fresh,
            "ui/src/lib/bindings.ts is stale: run `PHONGHOP_WRITE_BINDINGS=1 cargo test -p phonghop-desktop bindings`"
        );
    }
}
