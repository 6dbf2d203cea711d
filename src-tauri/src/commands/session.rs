//! Signing in and out. With a cached session the app opens offline.

use std::sync::Arc;

use phonghop_client::Client;
use tauri::{AppHandle, State};
use tracing::instrument;

use crate::dto::SessionInfo;
use crate::error::{AppError, AppResult, Code};
use crate::state::App;

fn info(client: &Client) -> AppResult<SessionInfo> {
    let me = client.me()?;
    Ok(SessionInfo {
        server: client.server.clone(),
        username: me.username,
        full_name: me.full_name,
        role: serde_json::to_value(me.role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default(),
        title: me.title,
    })
}

/// The cached session, if any, opened without the network.
#[tauri::command]
#[instrument(skip_all, err)]
pub async fn session_restore(
    app: AppHandle,
    state: State<'_, App>,
) -> AppResult<Option<SessionInfo>> {
    if let Ok(c) = state.client() {
        return info(&c).map(Some);
    }
    let client = match Client::open_current(&state.root) {
        Ok(c) => c,
        Err(phonghop_client::ClientError::NotLoggedIn) => return Ok(None),
        Err(e) => return Err(e.into()),
    };
    if !client.logged_in() {
        return Ok(None);
    }
    let client = Arc::new(client);
    let session = info(&client)?;
    state.set_client(Some(Arc::clone(&client)));
    state.sync.start(app, client);
    Ok(Some(session))
}

#[tauri::command]
#[instrument(skip(app, state, password), err)]
pub async fn login(
    app: AppHandle,
    state: State<'_, App>,
    server: String,
    username: String,
    password: String,
) -> AppResult<SessionInfo> {
    if username.trim().is_empty() || password.is_empty() {
        return Err(AppError::new(
            Code::Invalid,
            "username and password are required",
        ));
    }
    crate::commands::live::close_projector(&app);
    state.sync.stop();
    let client = Client::login(&state.root, &server, username.trim(), &password).await?;
    let client = Arc::new(client);
    let session = info(&client)?;
    state.set_client(Some(Arc::clone(&client)));
    state.sync.start(app, client);
    Ok(session)
}

#[tauri::command]
#[instrument(skip_all, err)]
pub async fn logout(app: AppHandle, state: State<'_, App>) -> AppResult<()> {
    crate::commands::live::close_projector(&app);
    state.sync.stop();
    let client = state.client()?;
    state.set_client(None);
    match Arc::try_unwrap(client) {
        Ok(c) => c.logout().await?,
        // A command still holds it: end the session on the server by a fresh handle.
        Err(c) => Client::open_current(&c.root)?.logout().await?,
    }
    Ok(())
}
