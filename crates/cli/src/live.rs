//! The live meeting from the terminal: attendance, the floor, the current item and the
//! presenter's page, polls and votes, written-opinion ballots. Local first like every
//! change: it applies at once and travels on the next `phonghop sync`; a vote cast
//! offline counts if it reaches the server before the poll's deadline, and `status`
//! shows why when it did not.

use std::path::{Path, PathBuf};

use anyhow::{Context, Result, bail};
use clap::Subcommand;
use phonghop_client::Client;
use phonghop_domain::counting::{Base, CountingRule, PollMode, Threshold};
use phonghop_domain::{
    AttendanceState, OpinionChoice, Poll, PollKind, PollSpec, PollStatus, SpeakKind, Timestamp,
};

use crate::Cli;

#[derive(Subcommand)]
pub enum LiveCommand {
    /// Check in to a meeting (in the room, or --remote); --for USERNAME: the secretary
    /// checks someone else in.
    Checkin {
        meeting: String,
        #[arg(long)]
        remote: bool,
        #[arg(long = "for")]
        for_user: Option<String>,
    },
    /// Record an absence, with its reason.
    Absent {
        meeting: String,
        #[arg(long)]
        reason: String,
        #[arg(long = "for")]
        for_user: Option<String>,
    },
    /// Give one's vote to another member (ủy quyền) while absent.
    Proxy {
        meeting: String,
        #[arg(long)]
        to: String,
        #[arg(long, default_value = "")]
        reason: String,
        #[arg(long = "for")]
        for_user: Option<String>,
    },
    /// Who is present, absent, represented; the quorum.
    Attendance { meeting: String },
    /// The floor: ask to speak or to question, withdraw, and (chair) grant and end.
    Speak {
        #[command(subcommand)]
        command: SpeakCommand,
    },
    /// Chair: move the meeting to an agenda item (--none: between items).
    CurrentItem {
        item: Option<String>,
        #[arg(long)]
        meeting: Option<String>,
        #[arg(long)]
        none: bool,
    },
    /// Show this page of a document to everyone following (chair, secretary, the speaker).
    Present {
        document: String,
        #[arg(long, default_value_t = 1)]
        page: u32,
    },
    /// Stop presenting.
    PresentStop { meeting: String },
    /// The room's view: current item and its time, speaker and timer, queue, quorum, polls.
    Live { meeting: String },
    /// Polls (biểu quyết): create, open, close, results, list.
    Poll {
        #[command(subcommand)]
        command: PollCommand,
    },
    /// Cast a ballot: options by number (from 1) or label; signed by this device, so it
    /// works offline until the deadline.
    Vote {
        poll: String,
        #[arg(required = true)]
        choices: Vec<String>,
        /// Vote for the member whose proxy you hold.
        #[arg(long = "for")]
        for_user: Option<String>,
    },
    /// Written-opinion ballots (phiếu lấy ý kiến).
    Ballot {
        #[command(subcommand)]
        command: BallotCommand,
    },
}

#[derive(Subcommand)]
pub enum SpeakCommand {
    /// Ask for the floor (phát biểu), or --question (chất vấn).
    Request {
        meeting: String,
        #[arg(long)]
        question: bool,
        #[arg(long)]
        item: Option<String>,
    },
    Withdraw {
        request: String,
    },
    /// Chair: give the floor, optionally for --seconds.
    Grant {
        request: String,
        #[arg(long)]
        seconds: Option<u32>,
    },
    End {
        request: String,
    },
    /// The queue, the speaker and the history.
    Queue {
        meeting: String,
    },
}

#[derive(Subcommand)]
pub enum PollCommand {
    /// Chair or secretary: prepare a poll (then `poll open`).
    Create {
        meeting: String,
        #[arg(long)]
        question: String,
        /// open | named | secret
        #[arg(long, default_value = "open", value_parser = PollKind::parse)]
        kind: PollKind,
        /// Options (default: Tán thành, Không tán thành, Không biểu quyết). Repeat.
        #[arg(long = "option")]
        options: Vec<String>,
        /// An election: each voter picks up to this many options.
        #[arg(long)]
        choose: Option<u32>,
        /// all | present | cast
        #[arg(long, default_value = "all", value_parser = Base::parse)]
        base: Base,
        /// e.g. "> 1/2", ">= 2/3"
        #[arg(long, default_value = "> 1/2", value_parser = Threshold::parse)]
        threshold: Threshold,
        /// Present needed, e.g. ">= 2/3", or "none".
        #[arg(long, default_value = ">= 2/3")]
        quorum: String,
        /// Close by itself after this many seconds.
        #[arg(long)]
        seconds: Option<u32>,
        /// Ballots cast before the close still count if they arrive this long after.
        #[arg(long, default_value_t = 0)]
        grace: u32,
        /// Voters may change their ballot until the close (not in secret polls).
        #[arg(long)]
        recast: bool,
        #[arg(long)]
        item: Option<String>,
    },
    Open {
        poll: String,
    },
    Close {
        poll: String,
    },
    /// Counts and, once closed, the result with its arithmetic.
    Results {
        poll: String,
    },
    List {
        meeting: String,
    },
}

#[derive(Subcommand)]
pub enum BallotCommand {
    /// Chair or secretary: ask the meeting's members in writing, open for --days.
    Create {
        meeting: String,
        #[arg(long)]
        question: String,
        #[arg(long)]
        days: u32,
        #[arg(long)]
        document: Option<String>,
    },
    /// agree | disagree | other (other needs --comment).
    Answer {
        ballot: String,
        #[arg(value_parser = OpinionChoice::parse)]
        choice: OpinionChoice,
        #[arg(long, default_value = "")]
        comment: String,
    },
    List,
    /// Chair or secretary: answered / not yet, per choice, per member (from the server).
    Stats {
        ballot: String,
    },
    /// Chair or secretary: the answers as CSV or XLSX (from the server).
    Export {
        ballot: String,
        #[arg(long, default_value = "xlsx")]
        format: String,
        #[arg(long)]
        out: PathBuf,
    },
}

fn print_json<T: serde::Serialize>(v: &T) -> Result<()> {
    println!("{}", serde_json::to_string_pretty(v)?);
    Ok(())
}

fn hms(t: Timestamp) -> String {
    phonghop_domain::opinion::vn_time(t)
}

fn mmss(secs: i64) -> String {
    let sign = if secs < 0 { "-" } else { "" };
    let s = secs.unsigned_abs();
    format!("{sign}{:02}:{:02}", s / 60, s % 60)
}

fn status_vi(s: PollStatus) -> &'static str {
    match s {
        PollStatus::Draft => "chưa mở",
        PollStatus::Open => "đang biểu quyết",
        PollStatus::Closed => "đã kết thúc",
    }
}

fn poll_line(p: &Poll) -> String {
    format!(
        "{}  {:<16} {:>3} phiếu  {}",
        phonghop_client::short_id(p.id),
        status_vi(p.status),
        p.tally.cast,
        p.spec.question
    )
}

fn print_poll(client: &Client, p: &Poll) -> Result<()> {
    let view = client.poll_view(p.id)?;
    println!("{}", p.spec.question);
    println!(
        "  {} · {} · quorum {} · {} {} ",
        status_vi(p.status),
        match p.spec.kind {
            PollKind::Open => "công khai",
            PollKind::Named => "ghi danh",
            PollKind::Secret => "bỏ phiếu kín",
        },
        p.spec
            .rule
            .quorum
            .map_or("không".to_owned(), |q| q.to_string()),
        p.spec.rule.threshold,
        p.spec.rule.base.label_vi()
    );
    println!(
        "  có mặt {}/{} · đã bỏ phiếu {}",
        view.attendance.present, view.attendance.members, p.tally.cast
    );
    match &p.tally.votes {
        Some(votes) => {
            for (label, n) in p.spec.options.iter().zip(votes) {
                println!("  {n:>4}  {label}");
            }
        }
        None => println!("  (bỏ phiếu kín: số phiếu công bố khi kết thúc)"),
    }
    if let Some(b) = &view.my_ballot {
        let mine: Vec<&str> = b
            .choices
            .iter()
            .flatten()
            .filter_map(|&c| p.spec.options.get(c as usize).map(String::as_str))
            .collect();
        println!(
            "  phiếu của bạn: {}{}",
            mine.join(", "),
            if view.my_ballot_pending {
                " (chưa gửi — chờ đồng bộ)"
            } else {
                ""
            }
        );
    }
    if let Some(r) = p.result.as_ref().filter(|_| p.status == PollStatus::Closed) {
        println!("  Kết quả:");
        for line in &r.arithmetic {
            println!("    {line}");
        }
    }
    Ok(())
}

fn parse_quorum(s: &str) -> Result<Option<Threshold>> {
    if s.trim() == "none" {
        return Ok(None);
    }
    Threshold::parse(s).map(Some).map_err(anyhow::Error::msg)
}

pub fn run(cli: &Cli, cmd: &LiveCommand) -> Result<i32> {
    let root = crate::client::cache_root(cli)?;
    let rt = tokio::runtime::Runtime::new()?;
    rt.block_on(run_async(cli, cmd, &root))
}

fn done(cli: &Cli, json: serde_json::Value, text: &str) -> Result<()> {
    if cli.json {
        print_json(&json)
    } else {
        println!("{text}");
        Ok(())
    }
}

async fn run_async(cli: &Cli, cmd: &LiveCommand, root: &Path) -> Result<i32> {
    let client = Client::open_current(root)?;
    let queued = "; it reaches the others with the next `phonghop sync`";
    match cmd {
        LiveCommand::Checkin {
            meeting,
            remote,
            for_user,
        } => {
            let m = client.find_meeting(meeting)?;
            let state = if *remote {
                AttendanceState::Remote
            } else {
                AttendanceState::InRoom
            };
            client.set_attendance(m.id, for_user.as_deref(), state.clone())?;
            done(
                cli,
                serde_json::json!({"meeting": m.id, "state": state}),
                &format!("checked in ({}){queued}", state.label_vi()),
            )?;
        }
        LiveCommand::Absent {
            meeting,
            reason,
            for_user,
        } => {
            let m = client.find_meeting(meeting)?;
            let state = AttendanceState::Absent {
                reason: reason.clone(),
            };
            client.set_attendance(m.id, for_user.as_deref(), state.clone())?;
            done(
                cli,
                serde_json::json!({"meeting": m.id, "state": state}),
                &format!("absence recorded{queued}"),
            )?;
        }
        LiveCommand::Proxy {
            meeting,
            to,
            reason,
            for_user,
        } => {
            let m = client.find_meeting(meeting)?;
            let state = client.proxy_state(to, reason)?;
            client.set_attendance(m.id, for_user.as_deref(), state.clone())?;
            done(
                cli,
                serde_json::json!({"meeting": m.id, "state": state}),
                &format!("proxy given to {to}{queued}"),
            )?;
        }
        LiveCommand::Attendance { meeting } => {
            let m = client.find_meeting(meeting)?;
            let summary = client.cache.attendance_summary(m.id)?;
            let presence = client.cache.presence(m.id)?;
            let members = client.cache.members(m.id)?;
            let users = client.cache.users()?;
            let name = |id: phonghop_domain::Id| {
                users
                    .iter()
                    .find(|u| u.id == id)
                    .map_or_else(|| id.to_string(), |u| u.full_name.clone())
            };
            if cli.json {
                print_json(&serde_json::json!({"summary": summary, "presence": presence}))?;
            } else {
                let q = summary.quorum(Some(Threshold::TWO_THIRDS));
                println!(
                    "có mặt {} (tại phòng {}, trực tuyến {}, ủy quyền {}) / {} thành viên; vắng {}; chưa điểm danh {}",
                    summary.present,
                    summary.in_room,
                    summary.remote,
                    summary.represented,
                    summary.members,
                    summary.absent,
                    summary.not_checked_in
                );
                println!(
                    "quorum ≥ 2/3: cần {} → {}",
                    q.required,
                    if q.met { "đủ" } else { "chưa đủ" }
                );
                for mem in members {
                    let p = presence.iter().find(|p| p.user_id == mem.user_id);
                    let detail = match p.map(|p| &p.state) {
                        Some(AttendanceState::Absent { reason }) => format!(" — {reason}"),
                        Some(AttendanceState::Proxy { to, .. }) => format!(" → {}", name(*to)),
                        _ => String::new(),
                    };
                    println!(
                        "  {:<28} {}{detail}",
                        name(mem.user_id),
                        phonghop_client::cache::live::state_label(p.map(|p| &p.state))
                    );
                }
            }
        }
        LiveCommand::Speak { command } => match command {
            SpeakCommand::Request {
                meeting,
                question,
                item,
            } => {
                let m = client.find_meeting(meeting)?;
                let item = item.as_deref().map(|i| client.find_item(i)).transpose()?;
                let kind = if *question {
                    SpeakKind::Question
                } else {
                    SpeakKind::Speak
                };
                let id = client.speak_request(m.id, kind, item.map(|i| i.id))?;
                done(
                    cli,
                    serde_json::json!({"id": id}),
                    &format!(
                        "asked to {} ({}){queued}",
                        kind.label_vi(),
                        phonghop_client::short_id(id)
                    ),
                )?;
            }
            SpeakCommand::Withdraw { request } => {
                let r = client.find_speak_request(request)?;
                client.speak_withdraw(r.id)?;
                done(cli, serde_json::json!({"id": r.id}), "withdrawn")?;
            }
            SpeakCommand::Grant { request, seconds } => {
                let r = client.find_speak_request(request)?;
                client.speak_grant(r.id, *seconds)?;
                done(
                    cli,
                    serde_json::json!({"id": r.id}),
                    &format!("floor given{queued}"),
                )?;
            }
            SpeakCommand::End { request } => {
                let r = client.find_speak_request(request)?;
                client.speak_end(r.id)?;
                done(cli, serde_json::json!({"id": r.id}), "turn ended")?;
            }
            SpeakCommand::Queue { meeting } => {
                let m = client.find_meeting(meeting)?;
                let view = client.live_view(m.id, Timestamp::now_utc())?;
                if cli.json {
                    print_json(
                        &serde_json::json!({"speaker": view.speaker, "queue": view.queue, "history": view.history}),
                    )?;
                } else {
                    print_floor(&client, &view)?;
                }
            }
        },
        LiveCommand::CurrentItem {
            item,
            meeting,
            none,
        } => {
            let (meeting_id, item_id) = match (item, none) {
                (Some(i), false) => {
                    let i = client.find_item(i)?;
                    (i.meeting_id, Some(i.id))
                }
                (None, true) => {
                    let m = meeting
                        .as_deref()
                        .context("--none needs --meeting MEETING")?;
                    (client.find_meeting(m)?.id, None)
                }
                _ => bail!("give an agenda item, or --none --meeting MEETING"),
            };
            client.set_current_item(meeting_id, item_id)?;
            done(
                cli,
                serde_json::json!({"meeting": meeting_id, "item": item_id}),
                &format!("current item set{queued}"),
            )?;
        }
        LiveCommand::Present { document, page } => {
            let d = client.find_document(document)?;
            client.present_page(d.meeting_id, d.id, *page)?;
            done(
                cli,
                serde_json::json!({"document": d.id, "page": page}),
                &format!("presenting {} page {page}{queued}", d.title),
            )?;
        }
        LiveCommand::PresentStop { meeting } => {
            let m = client.find_meeting(meeting)?;
            client.present_stop(m.id)?;
            done(
                cli,
                serde_json::json!({"meeting": m.id}),
                "stopped presenting",
            )?;
        }
        LiveCommand::Live { meeting } => {
            let m = client.find_meeting(meeting)?;
            let view = client.live_view(m.id, Timestamp::now_utc())?;
            if cli.json {
                print_json(&view)?;
            } else {
                println!("{}", m.title);
                match &view.current_item {
                    Some(i) => println!(
                        "Nội dung {}: {}{}",
                        i.position,
                        i.title,
                        view.item_remaining_seconds
                            .map(|s| format!("  (còn {})", mmss(s)))
                            .unwrap_or_default()
                    ),
                    None => println!("Chưa vào nội dung"),
                }
                if let Some(p) = view.progress.as_ref().and_then(|g| g.presentation.as_ref()) {
                    let title = client
                        .cache
                        .document(p.document_id)?
                        .map(|d| d.title)
                        .unwrap_or_default();
                    println!("Đang trình chiếu: {title}, trang {}", p.page);
                }
                print_floor(&client, &view)?;
                let a = &view.attendance;
                println!("Có mặt {}/{}", a.present, a.members);
                for p in &view.polls {
                    println!("{}", poll_line(p));
                }
            }
        }
        LiveCommand::Poll { command } => match command {
            PollCommand::Create {
                meeting,
                question,
                kind,
                options,
                choose,
                base,
                threshold,
                quorum,
                seconds,
                grace,
                recast,
                item,
            } => {
                let m = client.find_meeting(meeting)?;
                let item = item.as_deref().map(|i| client.find_item(i)).transpose()?;
                let mut spec = PollSpec::motion(question, *kind);
                if !options.is_empty() {
                    spec.options = options.clone();
                }
                if let Some(k) = choose {
                    spec.mode = PollMode::Election;
                    spec.max_choices = *k;
                }
                spec.rule = CountingRule {
                    quorum: parse_quorum(quorum)?,
                    base: *base,
                    threshold: *threshold,
                };
                spec.duration_seconds = *seconds;
                spec.grace_seconds = *grace;
                spec.allow_recast = *recast;
                spec.validate().map_err(anyhow::Error::msg)?;
                let id = client.poll_create(m.id, item.map(|i| i.id), spec)?;
                done(
                    cli,
                    serde_json::json!({"id": id}),
                    &format!(
                        "poll {} prepared; `phonghop poll open` opens it",
                        phonghop_client::short_id(id)
                    ),
                )?;
            }
            PollCommand::Open { poll } => {
                let p = client.find_poll(poll)?;
                client.poll_open(p.id)?;
                done(
                    cli,
                    serde_json::json!({"id": p.id}),
                    &format!("poll opened{queued}"),
                )?;
            }
            PollCommand::Close { poll } => {
                let p = client.find_poll(poll)?;
                client.poll_close(p.id)?;
                done(
                    cli,
                    serde_json::json!({"id": p.id}),
                    &format!("poll closed{queued}"),
                )?;
            }
            PollCommand::Results { poll } => {
                let p = client.find_poll(poll)?;
                if cli.json {
                    print_json(&client.poll_view(p.id)?)?;
                } else {
                    print_poll(&client, &p)?;
                }
            }
            PollCommand::List { meeting } => {
                let m = client.find_meeting(meeting)?;
                let polls = client.cache.polls(Some(m.id))?;
                if cli.json {
                    print_json(&polls)?;
                } else {
                    for p in polls {
                        println!("{}", poll_line(&p));
                    }
                }
            }
        },
        LiveCommand::Vote {
            poll,
            choices,
            for_user,
        } => {
            let p = client.find_poll(poll)?;
            let picked = Client::choices(&p, choices)?;
            let op = client.vote(p.id, picked.clone(), for_user.as_deref())?;
            let labels: Vec<&str> = picked
                .iter()
                .filter_map(|&c| p.spec.options.get(c as usize).map(String::as_str))
                .collect();
            done(
                cli,
                serde_json::json!({"op": op, "poll": p.id, "choices": picked}),
                &format!(
                    "ballot cast and signed: {}{queued} (counted if it arrives by the deadline)",
                    labels.join(", ")
                ),
            )?;
        }
        LiveCommand::Ballot { command } => match command {
            BallotCommand::Create {
                meeting,
                question,
                days,
                document,
            } => {
                let m = client.find_meeting(meeting)?;
                let d = document
                    .as_deref()
                    .map(|d| client.find_document(d))
                    .transpose()?;
                let id = client.opinion_create(m.id, d.map(|d| d.id), question, *days)?;
                done(
                    cli,
                    serde_json::json!({"id": id}),
                    &format!(
                        "ballot {} created, open {days} day(s){queued}",
                        phonghop_client::short_id(id)
                    ),
                )?;
            }
            BallotCommand::Answer {
                ballot,
                choice,
                comment,
            } => {
                let b = client.find_opinion(ballot)?;
                phonghop_domain::opinion::validate_answer(*choice, comment)
                    .map_err(anyhow::Error::msg)?;
                let op = client.opinion_answer(b.id, *choice, comment)?;
                done(
                    cli,
                    serde_json::json!({"op": op, "ballot": b.id, "choice": choice}),
                    &format!("answered “{}”, signed{queued}", choice.label_vi()),
                )?;
            }
            BallotCommand::List => {
                let list = client.cache.opinions()?;
                if cli.json {
                    print_json(&list)?;
                } else {
                    for b in list {
                        let mine = client.my_opinion_answer(b.id)?;
                        println!(
                            "{}  hạn {}  {}  {}",
                            phonghop_client::short_id(b.id),
                            hms(b.deadline),
                            mine.map_or("chưa trả lời", |a| a.choice.label_vi()),
                            b.question
                        );
                    }
                }
            }
            BallotCommand::Stats { ballot } => {
                let b = client.find_opinion(ballot)?;
                let s = client.opinion_stats(b.id).await?;
                if cli.json {
                    print_json(&s)?;
                } else {
                    println!("{}  (hạn {})", s.question, hms(s.deadline));
                    println!(
                        "được hỏi {}, đã trả lời {}, chưa trả lời {}",
                        s.asked, s.answered, s.not_answered
                    );
                    println!(
                        "Đồng ý {} · Không đồng ý {} · Ý kiến khác {}",
                        s.agree, s.disagree, s.other
                    );
                    for m in &s.members {
                        println!(
                            "  {:<28} {:<14} {}",
                            m.full_name,
                            m.choice.map_or("chưa trả lời", |c| c.label_vi()),
                            m.comment
                        );
                    }
                }
            }
            BallotCommand::Export {
                ballot,
                format,
                out,
            } => {
                let b = client.find_opinion(ballot)?;
                let bytes = client.opinion_export(b.id, format).await?;
                std::fs::write(out, &bytes)
                    .with_context(|| format!("cannot write {}", out.display()))?;
                done(
                    cli,
                    serde_json::json!({"file": out, "bytes": bytes.len()}),
                    &format!("wrote {} ({} bytes)", out.display(), bytes.len()),
                )?;
            }
        },
    }
    Ok(0)
}

fn print_floor(client: &Client, view: &phonghop_client::LiveMeetingView) -> Result<()> {
    let users = client.cache.users()?;
    let name = |id: phonghop_domain::Id| {
        users
            .iter()
            .find(|u| u.id == id)
            .map_or_else(|| id.to_string(), |u| u.full_name.clone())
    };
    match &view.speaker {
        Some(s) => println!(
            "Đang {}: {}{}",
            s.kind.label_vi(),
            name(s.user_id),
            view.speaker_remaining_seconds
                .map(|r| format!("  ({})", mmss(r)))
                .unwrap_or_default()
        ),
        None => println!("Chưa ai phát biểu"),
    }
    for (i, r) in view.queue.iter().enumerate() {
        println!(
            "  {}. {} — {} ({})",
            i + 1,
            name(r.user_id),
            r.kind.label_vi(),
            phonghop_client::short_id(r.id)
        );
    }
    if !view.history.is_empty() {
        println!("Đã phát biểu: {}", view.history.len());
    }
    Ok(())
}
