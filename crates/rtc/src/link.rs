//! One signaling connection's side of the SFU: turns the client messages arriving on a
//! socket (the live WebSocket, or an in-process channel) into SFU calls, in order.

use std::sync::Arc;

use tokio::sync::mpsc;
use uuid::Uuid;

use crate::sfu::{Identity, Session, Sfu};
use crate::signal::{ClientSignal, ServerSignal, SignalErrorCode};

/// The video state of one connection: not joined, or in one room.
pub struct Signaling {
    sfu: Arc<Sfu>,
    who: Identity,
    out: mpsc::UnboundedSender<ServerSignal>,
    session: Option<Session>,
}

impl Signaling {
    pub fn new(
        sfu: Arc<Sfu>,
        who: Identity,
        out: mpsc::UnboundedSender<ServerSignal>,
    ) -> Signaling {
        Signaling {
            sfu,
            who,
            out,
            session: None,
        }
    }

    pub fn session(&self) -> Option<&Session> {
        self.session.as_ref()
    }

    /// Applies one message; a refusal goes back to the client as `video.error`.
    pub async fn on_message(&mut self, msg: ClientSignal) {
        if let Err((code, message)) = self.apply(msg).await {
            let _ = self.out.send(ServerSignal::error(code, message));
        }
    }

    async fn apply(&mut self, msg: ClientSignal) -> Result<(), (SignalErrorCode, String)> {
        // Out of the room without this link leaving it (a newer connection of the same
        // person took the seat, the media connection failed): the link may join again.
        self.forget_closed();
        match (msg, &self.session) {
            (ClientSignal::Join { meeting_id, name }, None) => {
                let mut who = self.who.clone();
                // Only an anonymous tool names itself; accounts and invited guests are
                // shown by the name the server knows.
                if who.user_id.is_none()
                    && who.invited_to.is_none()
                    && let Some(n) = name.map(|n| n.trim().to_owned()).filter(|n| !n.is_empty())
                {
                    who.name = n.chars().take(80).collect();
                }
                self.session = Some(self.sfu.join(who, meeting_id, self.out.clone()).await?);
                Ok(())
            }
            (ClientSignal::Leave, Some(_)) => {
                self.close().await;
                Ok(())
            }
            (ClientSignal::Leave, None) => Ok(()),
            (msg, Some(session)) => session.handle(msg).await,
            (_, None) => Err((SignalErrorCode::NotJoined, "send video.join first".into())),
        }
    }

    /// Asks admission again about the room this link is in, and leaves it (telling the
    /// client why) when the participant may no longer be there or now has another role: a
    /// member removed from the meeting, a chair or secretary whose role changed. Joining
    /// again gives the current role. Returns whether it left.
    pub async fn recheck(&mut self) -> bool {
        self.forget_closed();
        let Some(s) = &self.session else {
            return false;
        };
        let (code, why) = match self.sfu.admits(&self.who, s.meeting_id()).await {
            Ok(role) if role == s.role() => return false,
            Ok(_) => (
                SignalErrorCode::Forbidden,
                "your place in this meeting has changed: join again".to_owned(),
            ),
            // The check itself failed (the store did not answer): stay until it can say.
            Err((SignalErrorCode::Internal, _)) => return false,
            Err(refused) => refused,
        };
        let _ = self.out.send(ServerSignal::error(code, why));
        self.close().await;
        true
    }

    fn forget_closed(&mut self) {
        if self.session.as_ref().is_some_and(Session::is_closed) {
            self.session = None;
        }
    }

    /// Leaves the room, if in one (the socket closed, or the client said so).
    pub async fn close(&mut self) {
        if let Some(s) = self.session.take() {
            s.leave().await;
        }
    }
}

/// The client's end of an in-process signaling link.
pub struct SignalLink {
    pub tx: mpsc::UnboundedSender<ClientSignal>,
    pub rx: mpsc::UnboundedReceiver<ServerSignal>,
}

/// A signaling link straight into `sfu` (no WebSocket): what the server's live channel
/// does, for tests and load generators running next to the SFU.
pub fn in_process(sfu: Arc<Sfu>, who: Identity) -> SignalLink {
    let (client_tx, mut client_rx) = mpsc::unbounded_channel::<ClientSignal>();
    let (server_tx, server_rx) = mpsc::unbounded_channel();
    tokio::spawn(async move {
        let mut sig = Signaling::new(sfu, who, server_tx);
        while let Some(msg) = client_rx.recv().await {
            sig.on_message(msg).await;
        }
        sig.close().await;
    });
    SignalLink {
        tx: client_tx,
        rx: server_rx,
    }
}

/// An identity for tests and tools.
pub fn member(name: &str) -> Identity {
    Identity {
        user_id: Some(Uuid::now_v7()),
        name: name.to_owned(),
        invited_to: None,
    }
}
