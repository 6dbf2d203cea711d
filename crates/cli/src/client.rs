//! The client commands: login, sync, listings, notes and the secretary's edits — all
//! local first; changes travel as ops on the next sync.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::time::Duration;

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use phonghop_client::{Client, ClientError, SyncEvent};
use phonghop_domain::{
    Attendance, Classification, DocumentKind, MeetingKind, MeetingRole, Timestamp,
};
use serde::Serialize;
use time::format_description::well_known::Rfc3339;
use time::macros::format_description;

use crate::Cli;

#[derive(Subcommand)]
pub enum ClientCommand {
    /// Log in to a server; the password comes from standard input.
    Login {
        #[arg(long)]
        server: String,
        #[arg(long)]
        username: String,
        #[arg(long, required = true)]
        password_stdin: bool,
    },
    /// End the session (the local cache stays).
    Logout,
    /// Server, user, cursor, outbox, rejected changes, online or not, last sync.
    Status,
    /// Exchange changes with the server and download documents.
    Sync {
        /// Keep syncing whenever the server says something changed.
        #[arg(long)]
        watch: bool,
    },
    /// Meetings in the local cache.
    Meetings,
    /// The agenda of a meeting.
    Agenda { meeting: String },
    /// The documents of a meeting.
    Docs { meeting: String },
    /// The path of a document's verified local file.
    DocPath { document: String },
    /// Personal notes.
    Note {
        #[command(subcommand)]
        command: NoteCommand,
    },
    /// Forget a rejected change after reading why.
    Dismiss { op: String },
    /// Secretary: meetings.
    Meeting {
        #[command(subcommand)]
        command: MeetingCommand,
    },
    /// Secretary: agenda items.
    Item {
        #[command(subcommand)]
        command: ItemCommand,
    },
    /// Secretary: documents.
    Doc {
        #[command(subcommand)]
        command: DocCommand,
    },
    /// Secretary: members.
    Member {
        #[command(subcommand)]
        command: MemberCommand,
    },
    /// Secretary: send the meeting to its members.
    Publish { meeting: String },
}

#[derive(Subcommand)]
pub enum NoteCommand {
    Add {
        #[arg(long)]
        meeting: Option<String>,
        text: String,
    },
    List {
        #[arg(long)]
        meeting: Option<String>,
    },
    Rm {
        id: String,
    },
}

#[derive(Subcommand)]
pub enum MeetingCommand {
    Create {
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "regular", value_parser = parse_kind)]
        kind: MeetingKind,
        #[arg(long, default_value = "")]
        room: String,
        /// RFC 3339, e.g. 2026-12-01T08:00:00+07:00
        #[arg(long)]
        starts_at: String,
        #[arg(long)]
        ends_at: String,
    },
}

#[derive(Subcommand)]
pub enum ItemCommand {
    Add {
        meeting: String,
        #[arg(long)]
        title: String,
        #[arg(long, default_value = "")]
        presenter: String,
        #[arg(long, default_value_t = 0)]
        minutes: u32,
        #[arg(long)]
        position: Option<u32>,
    },
    Move {
        item: String,
        position: u32,
    },
    Rm {
        item: String,
    },
}

#[derive(Subcommand)]
pub enum DocCommand {
    Attach {
        item: String,
        file: PathBuf,
        #[arg(long)]
        title: Option<String>,
        #[arg(long, default_value = "other", value_parser = parse_doc_kind)]
        kind: DocumentKind,
        #[arg(long, default_value = "internal", value_parser = parse_classification)]
        classification: Classification,
        /// Attach as a new version of this document.
        #[arg(long)]
        document: Option<String>,
    },
}

#[derive(Subcommand)]
pub enum MemberCommand {
    Add {
        meeting: String,
        username: String,
        #[arg(long, default_value = "member", value_parser = parse_member_role)]
        role: MeetingRole,
        #[arg(long, default_value = "in_room", value_parser = parse_attendance)]
        attendance: Attendance,
    },
    Rm {
        meeting: String,
        username: String,
    },
}

fn parse_enum<T: serde::de::DeserializeOwned>(s: &str) -> Result<T, String> {
    serde_json::from_value(serde_json::Value::String(s.into()))
        .map_err(|_| format!("{s:?} is not one of the allowed values"))
}
fn parse_kind(s: &str) -> Result<MeetingKind, String> {
    parse_enum(s)
}
fn parse_doc_kind(s: &str) -> Result<DocumentKind, String> {
    parse_enum(s)
}
fn parse_classification(s: &str) -> Result<Classification, String> {
    parse_enum(s)
}
fn parse_member_role(s: &str) -> Result<MeetingRole, String> {
    parse_enum(s)
}
fn parse_attendance(s: &str) -> Result<Attendance, String> {
    parse_enum(s)
}

pub fn cache_root(cli: &Cli) -> Result<PathBuf> {
    match &cli.cache {
        Some(p) => Ok(p.clone()),
        None => Ok(dirs::data_dir()
            .context("no OS data directory; pass --cache DIR")?
            .join("phonghop/client")),
    }
}

/// dd/MM/yyyy HH:mm in Vietnam's time.
fn local(t: Timestamp) -> String {
    let vn = time::UtcOffset::from_hms(7, 0, 0).unwrap_or(time::UtcOffset::UTC);
    t.to_offset(vn)
        .format(format_description!("[day]/[month]/[year] [hour]:[minute]"))
        .unwrap_or_default()
}

fn print_json<T: Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn status_word(s: phonghop_domain::MeetingStatus) -> &'static str {
    use phonghop_domain::MeetingStatus::*;
    match s {
        Draft => "dự thảo",
        Published => "đã gửi",
        InProgress => "đang họp",
        Ended => "đã kết thúc",
    }
}

pub fn run(cli: &Cli, cmd: &ClientCommand) -> Result<i32> {
    let root = cache_root(cli)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(run_async(cli, cmd, &root))
}

fn open(root: &Path) -> Result<Client> {
    Ok(Client::open_current(root)?)
}

fn parse_time(s: &str) -> Result<Timestamp> {
    Timestamp::parse(s, &Rfc3339)
        .with_context(|| format!("{s:?} is not an RFC 3339 time like 2026-12-01T08:00:00+07:00"))
}

async fn run_async(cli: &Cli, cmd: &ClientCommand, root: &Path) -> Result<i32> {
    match cmd {
        ClientCommand::Login {
            server,
            username,
            password_stdin: _,
        } => {
            let mut password = String::new();
            std::io::stdin()
                .read_to_string(&mut password)
                .context("reading the password from standard input")?;
            let password = password.trim_end_matches(['\n', '\r']);
            let client = Client::login(root, server, username, password)
                .await
                .map_err(explain_login)?;
            let me = client.me()?;
            if cli.json {
                print_json(&serde_json::json!({"server": client.server, "user": me}))?;
            } else {
                println!(
                    "logged in to {} as {} ({})",
                    client.server, me.username, me.full_name
                );
            }
        }
        ClientCommand::Logout => {
            let client = open(root)?;
            client.logout().await?;
            println!("logged out");
        }
        ClientCommand::Status => {
            let client = open(root)?;
            let s = client.status().await?;
            if cli.json {
                print_json(&s)?;
            } else {
                println!(
                    "server:     {} ({})",
                    s.server,
                    if s.online { "online" } else { "offline" }
                );
                println!(
                    "user:       {} {}",
                    s.username,
                    s.full_name.unwrap_or_default()
                );
                println!("cursor:     {}", s.cursor);
                println!(
                    "last sync:  {}",
                    s.last_sync
                        .as_deref()
                        .and_then(|t| Timestamp::parse(t, &Rfc3339).ok())
                        .map(local)
                        .unwrap_or_else(|| "never".into())
                );
                println!(
                    "outbox:     {} change(s) waiting, {} of them vote(s)",
                    s.outbox, s.outbox_votes
                );
                for r in &s.rejected {
                    println!(
                        "rejected:   {} {} — {} ({})",
                        r.op_id, r.kind, r.message, r.code
                    );
                }
                for e in &s.blob_errors {
                    println!("bad file:   {} — {}", e.sha256, e.message);
                }
            }
        }
        ClientCommand::Sync { watch } => {
            let client = open(root)?;
            if *watch {
                return watch_loop(cli, &client).await;
            }
            return sync_once(cli, &client).await;
        }
        ClientCommand::Meetings => {
            let client = open(root)?;
            let ms = client.meetings()?;
            if cli.json {
                print_json(&ms)?;
            } else {
                for m in ms {
                    println!(
                        "{}  {}  {:<11} {}",
                        phonghop_client::short_id(m.id),
                        local(m.starts_at),
                        status_word(m.status),
                        m.title
                    );
                }
            }
        }
        ClientCommand::Agenda { meeting } => {
            let client = open(root)?;
            let m = client.find_meeting(meeting)?;
            let items = client.cache.agenda(m.id)?;
            if cli.json {
                print_json(&items)?;
            } else {
                println!("{} — {}", m.title, local(m.starts_at));
                for i in items {
                    println!(
                        "{:>2}. {}  [{} phút] {}  ({})",
                        i.position,
                        i.title,
                        i.planned_minutes,
                        i.presenter,
                        phonghop_client::short_id(i.id)
                    );
                }
            }
        }
        ClientCommand::Docs { meeting } => {
            let client = open(root)?;
            let m = client.find_meeting(meeting)?;
            let docs = client.cache.documents(m.id)?;
            if cli.json {
                let out: Vec<serde_json::Value> = docs
                    .iter()
                    .map(|d| -> Result<serde_json::Value> {
                        let v = d.current();
                        let signature = v.map(|v| client.signature_of(v)).transpose()?;
                        Ok(serde_json::json!({
                            "id": d.id, "item_id": d.item_id, "title": d.title, "kind": d.kind,
                            "classification": d.classification,
                            "version": v.map(|v| v.version), "sha256": v.map(|v| v.sha256.to_string()),
                            "size": v.map(|v| v.size), "pages": v.map(|v| v.pages),
                            "downloaded": v.is_some_and(|v| client.blobs.has(&v.sha256)),
                            "signature": signature,
                        }))
                    })
                    .collect::<Result<_>>()?;
                print_json(&out)?;
            } else {
                for d in docs {
                    let v = d.current();
                    let here = if v.is_some_and(|v| client.blobs.has(&v.sha256)) {
                        "✓"
                    } else {
                        " "
                    };
                    println!(
                        "{here} {}  {}  ({} trang)",
                        phonghop_client::short_id(d.id),
                        d.title,
                        v.map_or(0, |v| v.pages)
                    );
                }
            }
        }
        ClientCommand::DocPath { document } => {
            let client = open(root)?;
            println!("{}", client.document_path(document)?.display());
        }
        ClientCommand::Note { command } => {
            let client = open(root)?;
            match command {
                NoteCommand::Add { meeting, text } => {
                    let m = meeting
                        .as_deref()
                        .map(|m| client.find_meeting(m))
                        .transpose()?;
                    let id = client.note_add(m.map(|m| m.id), text)?;
                    if cli.json {
                        print_json(&serde_json::json!({"id": id}))?;
                    } else {
                        println!("note {id} saved; it syncs with the next `phonghop sync`");
                    }
                }
                NoteCommand::List { meeting } => {
                    let m = meeting
                        .as_deref()
                        .map(|m| client.find_meeting(m))
                        .transpose()?;
                    let notes = client.cache.notes(m.map(|m| m.id))?;
                    if cli.json {
                        print_json(&notes)?;
                    } else {
                        for n in notes {
                            println!(
                                "{}  {}  {}",
                                phonghop_client::short_id(n.id),
                                local(n.updated_at),
                                n.text
                            );
                        }
                    }
                }
                NoteCommand::Rm { id } => {
                    let id = client.note_rm(id)?;
                    println!("note {id} deleted");
                }
            }
        }
        ClientCommand::Dismiss { op } => {
            let client = open(root)?;
            let id =
                uuid::Uuid::parse_str(op).context("give the full id of the rejected change")?;
            if !client.cache.dismiss_rejected(id)? {
                bail!("no rejected change {op}");
            }
            println!("dismissed");
        }
        ClientCommand::Meeting {
            command:
                MeetingCommand::Create {
                    title,
                    kind,
                    room,
                    starts_at,
                    ends_at,
                },
        } => {
            let client = open(root)?;
            let id = client.meeting_create(
                title,
                *kind,
                room,
                parse_time(starts_at)?,
                parse_time(ends_at)?,
            )?;
            if cli.json {
                print_json(&serde_json::json!({"id": id}))?;
            } else {
                println!("meeting {id} created (draft)");
            }
        }
        ClientCommand::Item { command } => {
            let client = open(root)?;
            match command {
                ItemCommand::Add {
                    meeting,
                    title,
                    presenter,
                    minutes,
                    position,
                } => {
                    let m = client.find_meeting(meeting)?;
                    let id = client.item_add(m.id, title, presenter, *minutes, *position)?;
                    if cli.json {
                        print_json(&serde_json::json!({"id": id}))?;
                    } else {
                        println!("agenda item {id} added");
                    }
                }
                ItemCommand::Move { item, position } => {
                    let i = client.find_item(item)?;
                    client.item_move(i.id, *position)?;
                    println!("moved to {position}");
                }
                ItemCommand::Rm { item } => {
                    let i = client.find_item(item)?;
                    client.item_rm(i.id)?;
                    println!("agenda item {} removed", i.id);
                }
            }
        }
        ClientCommand::Doc {
            command:
                DocCommand::Attach {
                    item,
                    file,
                    title,
                    kind,
                    classification,
                    document,
                },
        } => {
            let client = open(root)?;
            let i = client.find_item(item)?;
            let existing = document
                .as_deref()
                .map(|d| client.find_document(d))
                .transpose()?;
            let title = match (title, &existing) {
                (Some(t), _) => t.clone(),
                (None, Some(d)) => d.title.clone(),
                (None, None) => file
                    .file_stem()
                    .map(|s| s.to_string_lossy().into_owned())
                    .unwrap_or_default(),
            };
            let id = client.doc_attach(
                i.id,
                file,
                &title,
                *kind,
                *classification,
                existing.map(|d| d.id),
            )?;
            if cli.json {
                print_json(&serde_json::json!({"id": id}))?;
            } else {
                println!("document {id} attached; uploads with the next sync");
            }
        }
        ClientCommand::Member { command } => {
            let client = open(root)?;
            match command {
                MemberCommand::Add {
                    meeting,
                    username,
                    role,
                    attendance,
                } => {
                    let m = client.find_meeting(meeting)?;
                    client.member_add(m.id, username, *role, *attendance)?;
                    println!("{username} added");
                }
                MemberCommand::Rm { meeting, username } => {
                    let m = client.find_meeting(meeting)?;
                    client.member_rm(m.id, username)?;
                    println!("{username} removed");
                }
            }
        }
        ClientCommand::Publish { meeting } => {
            let client = open(root)?;
            let m = client.find_meeting(meeting)?;
            client.publish(m.id)?;
            println!("published; members see it after the next sync");
        }
    }
    Ok(0)
}

fn explain_login(e: ClientError) -> anyhow::Error {
    match e.code() {
        "bad_credentials" => anyhow::anyhow!("wrong username or password"),
        "throttled" => anyhow::anyhow!("too many failed attempts; wait a little and try again"),
        _ => e.into(),
    }
}

/// One round with a progress bar; exit 2 when changes were rejected or files failed.
async fn sync_once(cli: &Cli, client: &Client) -> Result<i32> {
    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let show = !cli.json;
    let bar_task = tokio::spawn(async move {
        let bar = indicatif::ProgressBar::hidden();
        if show {
            bar.set_draw_target(indicatif::ProgressDrawTarget::stderr());
        }
        bar.set_style(
            indicatif::ProgressStyle::with_template(
                "{msg} [{bar:30}] {bytes}/{total_bytes} {bytes_per_sec}",
            )
            .unwrap_or_else(|_| indicatif::ProgressStyle::default_bar())
            .progress_chars("=> "),
        );
        let mut done_files = 0;
        let mut files = 0;
        let mut per_blob = std::collections::HashMap::<String, u64>::new();
        while let Some(ev) = rx.recv().await {
            match ev {
                SyncEvent::Downloads { files: n, bytes } => {
                    files = n;
                    bar.set_length(bytes);
                    bar.set_message(format!("documents 0/{files}"));
                }
                SyncEvent::Blob { sha256, done, .. } => {
                    let prev = per_blob.insert(sha256, done).unwrap_or(0);
                    bar.inc(done.saturating_sub(prev));
                }
                SyncEvent::BlobDone { .. } | SyncEvent::BlobFailed { .. } => {
                    done_files += 1;
                    bar.set_message(format!("documents {done_files}/{files}"));
                }
                _ => {}
            }
        }
        bar.finish_and_clear();
    });
    let result = client.sync(Some(tx)).await;
    let _ = bar_task.await;
    let report = result?;
    let rejected = client.cache.rejected()?;
    let errors = client.cache.blob_errors()?;
    if cli.json {
        print_json(
            &serde_json::json!({"report": report, "rejected": rejected, "blob_errors": errors}),
        )?;
    } else {
        println!(
            "synced: {} change(s) in, {} out, {} document(s) downloaded, {} removed, {:.1} MB",
            report.changes,
            report.pushed,
            report.downloaded,
            report.removed_files,
            report.bytes as f64 / 1e6
        );
        for r in &rejected {
            eprintln!("rejected: {} {} — {}", r.op_id, r.kind, r.message);
        }
        for e in &errors {
            eprintln!("bad file: {} — {}", e.sha256, e.message);
        }
    }
    Ok(if report.rejected > 0 || report.failed > 0 {
        2
    } else {
        0
    })
}

/// Syncs whenever the live channel says so, with backoff and jitter while offline.
async fn watch_loop(cli: &Cli, client: &Client) -> Result<i32> {
    let mut failures = 0u32;
    loop {
        match sync_once(cli, client).await {
            Ok(_) => failures = 0,
            Err(e) => {
                eprintln!("sync failed: {e:#}");
                failures += 1;
                tokio::time::sleep(phonghop_client::sync::backoff(
                    Duration::from_secs(1),
                    failures,
                ))
                .await;
                continue;
            }
        }
        match phonghop_client::live::Live::connect(&client.api).await {
            Ok(mut live) => loop {
                let next = tokio::time::timeout(Duration::from_secs(120), live.next()).await;
                match next {
                    // `hello` too: something may have changed between the sync and the connect.
                    Ok(Ok(
                        phonghop_domain::LiveMessage::Changed { cursor }
                        | phonghop_domain::LiveMessage::Hello { cursor },
                    )) if cursor > client.cache.cursor()? => {
                        break;
                    }
                    Ok(Ok(_)) => {}
                    Ok(Err(_)) | Err(_) => break,
                }
            },
            Err(_) => {
                tokio::time::sleep(phonghop_client::sync::backoff(Duration::from_secs(1), 2)).await
            }
        }
    }
}
