//! The client engine against the real server on 127.0.0.1:0.
#![allow(clippy::unwrap_used)]

mod access;
mod edits;
mod live_meeting;
