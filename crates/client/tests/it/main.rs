//! The client engine against the real server on 127.0.0.1:0.
#![allow(clippy::unwrap_used)]

mod access;
mod edits;
mod live_meeting;

use phonghop_client::Client;
use phonghop_testkit::{DEMO_PASSWORD, TestServer};

/// `user` logged in on a device of their own (its directory, kept while it lives) and
/// synced once.
pub async fn client(server: &TestServer, user: &str) -> (tempfile::TempDir, Client) {
    let root = tempfile::tempdir().unwrap();
    let c = Client::login(root.path(), &server.url(), user, DEMO_PASSWORD)
        .await
        .unwrap();
    c.sync(None).await.unwrap();
    (root, c)
}
