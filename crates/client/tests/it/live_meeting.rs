//! The engine's live-meeting seam, as the app uses it: `follow_live` applies meeting
//! events to the cache as they come (and says what changed), a vote is signed and
//! queued locally, and what was missed while away arrives with the next sync.

use std::time::Duration;

use phonghop_client::{Client, LiveUpdate};
use phonghop_domain::{PollKind, PollSpec, PollStatus, SpeakKind};
use phonghop_testkit::{DEMO_PASSWORD, TestServer};

use crate::client;

/// A motion in today's meeting, opened by the chair and sent to the server.
async fn open_motion(chair: &Client, question: &str, kind: PollKind) -> phonghop_domain::Id {
    let meeting = chair.meetings().unwrap()[1].id;
    let poll = chair
        .poll_create(meeting, None, PollSpec::motion(question, kind))
        .unwrap();
    chair.poll_open(poll).unwrap();
    chair.push(None).await.unwrap();
    poll
}

async fn until(
    rx: &mut tokio::sync::mpsc::UnboundedReceiver<LiveUpdate>,
    mut done: impl FnMut() -> bool,
) -> Vec<LiveUpdate> {
    let mut seen = Vec::new();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
    while !done() {
        match tokio::time::timeout_at(deadline, rx.recv()).await {
            Ok(Some(u)) => seen.push(u),
            _ => panic!("the cache did not catch up; saw {seen:?}"),
        }
    }
    // What arrived with the change that did it.
    while let Ok(u) = rx.try_recv() {
        seen.push(u);
    }
    seen
}

#[tokio::test(flavor = "multi_thread")]
async fn following_the_live_channel_keeps_the_cache_current() {
    let server = TestServer::demo().await;
    let (_r1, chair) = client(&server, "chutoa").await;
    let (_r2, delegate) = client(&server, "daibieu05").await;
    let meeting = chair.meetings().unwrap()[1].id;

    let (tx, mut rx) = tokio::sync::mpsc::unbounded_channel();
    let follower = std::sync::Arc::new(delegate);
    let f = follower.clone();
    let task = tokio::spawn(async move { f.follow_live(tx, Duration::from_millis(200)).await });

    // The chair opens a poll: the delegate's cache has it open without a manual sync.
    let poll = chair
        .poll_create(
            meeting,
            None,
            PollSpec::motion("Thông qua chương trình", PollKind::Open),
        )
        .unwrap();
    chair.poll_open(poll).unwrap();
    chair.sync(None).await.unwrap();
    let mut seen = until(&mut rx, || {
        follower
            .cache
            .polls(Some(meeting))
            .unwrap()
            .iter()
            .any(|p| p.id == poll && p.status == PollStatus::Open)
    })
    .await;
    // The app is told what changed (the event may trail the cache write by a moment).
    let told = |seen: &[LiveUpdate]| {
        seen.iter().any(
            |u| matches!(u, LiveUpdate::Meeting { kinds, .. } if kinds.iter().any(|k| k == "poll")),
        )
    };
    while !told(&seen) {
        match tokio::time::timeout(Duration::from_secs(5), rx.recv()).await {
            Ok(Some(u)) => seen.push(u),
            _ => panic!("no poll update was sent: {seen:?}"),
        }
    }

    // The delegate votes (signed, queued, shown at once as pending) and syncs.
    let choices = Client::choices(
        &follower.find_poll(&poll.to_string()).unwrap(),
        &["Tán thành".to_owned()],
    )
    .unwrap();
    follower.vote(poll, choices, None).unwrap();
    let view = follower.poll_view(poll).unwrap();
    assert!(view.my_ballot_pending);
    assert_eq!(view.my_ballot.unwrap().choices, Some(vec![0]));
    follower.sync(None).await.unwrap();

    // The chair's own ballot moves the tally on the delegate's screen.
    let c = Client::choices(
        &chair.find_poll(&poll.to_string()).unwrap(),
        &["1".to_owned()],
    )
    .unwrap();
    chair.vote(poll, c, None).unwrap();
    chair.sync(None).await.unwrap();
    until(&mut rx, || {
        follower
            .cache
            .polls(Some(meeting))
            .unwrap()
            .iter()
            .any(|p| p.id == poll && p.tally.cast == 2)
    })
    .await;
    let view = follower.poll_view(poll).unwrap();
    assert!(!view.my_ballot_pending);
    assert_eq!(view.poll.tally.votes, Some(vec![2, 0, 0]));
    assert_eq!(view.attendance.present, 2, "casting checked both in");
    assert_eq!(
        view.result.unwrap().count.cast,
        2,
        "a preview with today's attendance"
    );

    // The floor, live.
    let req = follower
        .speak_request(meeting, SpeakKind::Question, None)
        .unwrap();
    follower.sync(None).await.unwrap();
    chair.sync(None).await.unwrap();
    chair.speak_grant(req, Some(120)).unwrap();
    chair.sync(None).await.unwrap();
    until(&mut rx, || {
        follower
            .live_view(meeting, phonghop_domain::Timestamp::now_utc())
            .unwrap()
            .speaker
            .is_some_and(|s| s.id == req)
    })
    .await;
    task.abort();
}

#[tokio::test(flavor = "multi_thread")]
async fn what_was_missed_while_away_arrives_with_the_next_sync() {
    let server = TestServer::demo().await;
    let (_r1, secretary) = client(&server, "thuky").await;
    let (_r2, away) = client(&server, "daibieu07").await;
    let meeting = secretary.meetings().unwrap()[1].id;
    let item = secretary.cache.agenda(meeting).unwrap()[3].id;
    secretary.set_current_item(meeting, Some(item)).unwrap();
    secretary
        .set_attendance(
            meeting,
            Some("daibieu08"),
            phonghop_domain::AttendanceState::Remote,
        )
        .unwrap();
    let poll = secretary
        .poll_create(
            meeting,
            Some(item),
            PollSpec::motion("Biểu quyết", PollKind::Secret),
        )
        .unwrap();
    secretary.poll_open(poll).unwrap();
    secretary.poll_close(poll).unwrap();
    let report = secretary.sync(None).await.unwrap();
    assert_eq!(
        report.rejected,
        0,
        "{:?}",
        secretary.cache.rejected().unwrap()
    );

    away.sync(None).await.unwrap();
    let view = away
        .live_view(meeting, phonghop_domain::Timestamp::now_utc())
        .unwrap();
    assert_eq!(view.current_item.unwrap().id, item);
    assert!(view.item_remaining_seconds.is_some());
    assert_eq!(view.attendance.remote, 1);
    let p = away.poll_view(poll).unwrap().poll;
    assert_eq!(p.status, PollStatus::Closed);
    assert!(p.result.is_some());
    // Newer wins: replaying an old live state does not undo what the pull brought.
    let mut stale = p.clone();
    stale.status = PollStatus::Open;
    stale.version -= 1;
    away.cache
        .apply_live(&[phonghop_domain::Change::Poll(Box::new(stale))])
        .unwrap();
    assert_eq!(
        away.poll_view(poll).unwrap().poll.status,
        PollStatus::Closed
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn push_sends_a_ballot_at_once_and_a_refusal_makes_the_next_sync_rebuild() {
    let server = TestServer::demo().await;
    let (_r1, chair) = client(&server, "chutoa").await;
    let (_r2, early) = client(&server, "daibieu05").await;
    let (_r3, late) = client(&server, "daibieu06").await;
    let (_r4, lost) = client(&server, "daibieu07").await;
    let meeting = chair.meetings().unwrap()[1].id;
    let poll = chair
        .poll_create(
            meeting,
            None,
            PollSpec::motion("Thông qua chương trình", PollKind::Open),
        )
        .unwrap();
    chair.poll_open(poll).unwrap();
    assert_eq!(chair.push(None).await.unwrap(), (2, 0));
    early.sync(None).await.unwrap();
    late.sync(None).await.unwrap();
    lost.sync(None).await.unwrap();

    // Push sends the ballot and nothing else: no pull, no download.
    let cursor = early.cache.cursor().unwrap();
    early.vote(poll, vec![0], None).unwrap();
    assert_eq!(early.push(None).await.unwrap(), (1, 0));
    assert_eq!(early.cache.outbox_len().unwrap(), 0);
    assert_eq!(early.cache.cursor().unwrap(), cursor, "push pulled");
    chair.sync(None).await.unwrap();
    assert_eq!(chair.poll_view(poll).unwrap().poll.tally.cast, 1);

    // The chair closes; a delegate whose cache still shows it open votes: refused, kept
    // with its reason, and the next sync rebuilds the cache without the refused ballot.
    chair.poll_close(poll).unwrap();
    chair.push(None).await.unwrap();
    late.vote(poll, vec![1], None).unwrap();
    assert!(late.poll_view(poll).unwrap().my_ballot_pending);
    assert_eq!(late.push(None).await.unwrap(), (0, 1));
    assert_eq!(late.cache.rejected().unwrap().len(), 1);
    late.sync(None).await.unwrap();
    let v = late.poll_view(poll).unwrap();
    assert_eq!(v.poll.status, PollStatus::Closed);
    assert!(
        v.my_ballot.is_none(),
        "the refused ballot is still in the cache"
    );
    assert_eq!(v.poll.tally.cast, 1);
    assert_eq!(
        late.cache.rejected().unwrap().len(),
        1,
        "the refusal is kept"
    );

    // Another late vote is refused, but the answer is lost on the way (the link drops
    // after the server committed). The resend must learn of the refusal, not take the
    // server's "seen that one" for an acknowledgement.
    lost.vote(poll, vec![0], None).unwrap();
    let first = lost
        .api
        .push(lost.cache.pending_ops(100).unwrap())
        .await
        .unwrap();
    assert!(
        matches!(
            first.results[0].outcome,
            phonghop_domain::OpOutcome::Rejected { .. }
        ),
        "{first:?}"
    );
    assert_eq!(
        lost.cache.outbox_len().unwrap(),
        1,
        "the answer was dropped"
    );
    lost.sync(None).await.unwrap();
    let refused = lost.cache.rejected().unwrap();
    assert_eq!(refused.len(), 1, "the resend hid the refusal");
    assert_eq!(refused[0].code, "deadline_passed");
    assert!(
        lost.poll_view(poll).unwrap().my_ballot.is_none(),
        "a refused vote still shows as cast"
    );
    chair.sync(None).await.unwrap();
    assert_eq!(chair.poll_view(poll).unwrap().poll.tally.cast, 1);
}

#[tokio::test(flavor = "multi_thread")]
async fn a_rebuild_keeps_what_this_device_knows_of_its_secret_ballots() {
    let server = TestServer::demo().await;
    let (_r1, chair) = client(&server, "chutoa").await;
    let (_r2, voter) = client(&server, "daibieu09").await;
    let secret = open_motion(&chair, "Bầu trưởng ban", PollKind::Secret).await;
    let open = open_motion(&chair, "Thông qua biên bản", PollKind::Open).await;
    voter.sync(None).await.unwrap();
    voter.vote(secret, vec![1], None).unwrap();
    voter.sync(None).await.unwrap();
    assert_eq!(
        voter.poll_view(secret).unwrap().my_ballot.unwrap().choices,
        Some(vec![1])
    );

    // A refusal (a vote on a poll closed meanwhile) makes the next sync rebuild the cache
    // from the server, which never knew the secret choice.
    chair.poll_close(open).unwrap();
    chair.sync(None).await.unwrap();
    voter.vote(open, vec![0], None).unwrap();
    let report = voter.sync(None).await.unwrap();
    assert_eq!(report.rejected, 1);
    voter.sync(None).await.unwrap();
    assert!(voter.poll_view(open).unwrap().my_ballot.is_none());
    let mine = voter.poll_view(secret).unwrap().my_ballot.unwrap();
    assert_eq!(mine.choices, Some(vec![1]), "the rebuild forgot the choice");
    assert!(mine.cast_at.is_some());
}

#[tokio::test(flavor = "multi_thread")]
async fn a_secret_ballot_refused_on_one_device_is_not_shown_as_the_vote() {
    let server = TestServer::demo().await;
    let (_r1, chair) = client(&server, "chutoa").await;
    let (_r2, laptop) = client(&server, "daibieu09").await;
    let (_r3, tablet) = client(&server, "daibieu09").await;
    let secret = open_motion(&chair, "Bầu phó trưởng ban", PollKind::Secret).await;
    laptop.sync(None).await.unwrap();
    tablet.sync(None).await.unwrap();

    // The laptop votes while offline; the tablet votes the other way and gets there first.
    laptop.vote(secret, vec![1], None).unwrap();
    tablet.vote(secret, vec![0], None).unwrap();
    assert_eq!(tablet.push(None).await.unwrap(), (1, 0));
    assert_eq!(laptop.sync(None).await.unwrap().rejected, 1);
    laptop.sync(None).await.unwrap();
    let shown = laptop.poll_view(secret).unwrap().my_ballot;
    assert!(shown.is_some(), "the counted ballot is not shown as cast");
    assert_eq!(
        shown.unwrap().choices,
        None,
        "the laptop shows its refused choice as the vote"
    );
    assert_eq!(
        tablet.poll_view(secret).unwrap().my_ballot.unwrap().choices,
        Some(vec![0])
    );
}

#[tokio::test(flavor = "multi_thread")]
async fn logging_out_sends_the_queued_ballot_and_keeps_what_cannot_be_sent() {
    let mut server = TestServer::demo().await;
    let (_r1, chair) = client(&server, "chutoa").await;
    let (r2, sent) = client(&server, "daibieu05").await;
    let (r3, kept) = client(&server, "daibieu06").await;
    let poll = open_motion(&chair, "Thông qua chương trình", PollKind::Open).await;
    sent.sync(None).await.unwrap();
    kept.sync(None).await.unwrap();

    // Voted, then signed out before the app's push ran: the logout sends it.
    sent.vote(poll, vec![0], None).unwrap();
    let s = sent.status().await.unwrap();
    assert_eq!((s.outbox, s.outbox_votes), (1, 1));
    sent.logout().await.unwrap();
    assert!(Client::open_current(r2.path()).is_err(), "still signed in");
    chair.sync(None).await.unwrap();
    assert_eq!(chair.poll_view(poll).unwrap().poll.tally.cast, 1);

    // The server hangs (it takes connections and never answers): the logout still ends in
    // bounded time, the token is forgotten, and the ballot stays queued in the profile for
    // the same user's next login.
    kept.vote(poll, vec![1], None).unwrap();
    server.stop().await;
    let addr = server.url().trim_start_matches("http://").to_owned();
    let hang = tokio::net::TcpListener::bind(&addr).await.unwrap();
    let held = tokio::spawn(async move {
        let mut open = Vec::new();
        while let Ok((socket, _)) = hang.accept().await {
            open.push(socket);
        }
    });
    let started = std::time::Instant::now();
    kept.logout().await.unwrap();
    let took = started.elapsed();
    let bound = phonghop_client::LOGOUT_PUSH_TIMEOUT + phonghop_client::LOGOUT_CALL_TIMEOUT;
    assert!(
        took <= bound + Duration::from_secs(2),
        "the logout waited {took:?}"
    );
    assert!(Client::open_current(r3.path()).is_err(), "still signed in");
    held.abort();
    let _ = held.await;
    server.restart().await;
    let again = Client::login(r3.path(), &server.url(), "daibieu06", DEMO_PASSWORD)
        .await
        .unwrap();
    assert_eq!(
        again.cache.outbox_votes().unwrap(),
        1,
        "the ballot was dropped"
    );
    again.sync(None).await.unwrap();
    assert_eq!(again.cache.outbox_len().unwrap(), 0);
    chair.sync(None).await.unwrap();
    assert_eq!(chair.poll_view(poll).unwrap().poll.tally.cast, 2);
}
