//! Tauri commands, one module per feature. Each takes `State<'_, App>` and delegates to
//! the client engine or the PDF engine in a few lines.

pub mod annotations;
pub mod documents;
pub mod live;
pub mod meetings;
pub mod notes;
pub mod session;
pub mod status;
