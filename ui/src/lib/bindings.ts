// Generated from src-tauri/src/dto.rs and error.rs by `bindings::generate`.
// Do not edit: run `PHONGHOP_WRITE_BINDINGS=1 cargo test -p phonghop-desktop bindings`.

export type Code = "bad_credentials" | "offline" | "throttled" | "account_disabled" | "device_revoked" | "server_error" | "not_logged_in" | "session_ended" | "forbidden" | "not_found" | "not_downloaded" | "invalid" | "newer_cache" | "storage" | "pdf" | "poll_not_open" | "already_voted" | "internal";

export type AppError = { code: Code, message: string, };

export type SessionInfo = { server: string, username: string, full_name: string, 
/**
 * `delegate`, `secretary`, …
 */
role: string, title: string, };

export type MeetingSummary = { id: string, title: string, 
/**
 * `regular`, `thematic`, `online`, `working`.
 */
kind: string, room: string, starts_at: string, ends_at: string, 
/**
 * `draft`, `published`, `in_progress`, `ended`.
 */
status: string, items: number, documents: number, };

export type SignatureStatus = "valid" | "invalid" | "untrusted" | "modified" | "unsupported" | "unsigned" | "unknown";

export type SignatureView = { status: SignatureStatus, signer: string | null, organization: string | null, 
/**
 * RFC 3339 (UTC) as the signer claims it.
 */
signing_time: string | null, 
/**
 * Why the status is not `valid` (English detail).
 */
why: string | null, 
/**
 * This device checked the file itself; otherwise the verdict is the server's, from
 * the upload (the file is not here yet, or not checked against the current roots).
 */
checked_here: boolean, };

export type DocumentView = { id: string, item_id: string, title: string, 
/**
 * `proposal`, `draft_resolution`, `report`, `draft_conclusion`, `other`.
 */
kind: string, 
/**
 * `public`, `internal`, `confidential`.
 */
classification: string, version: number, pages: number, size: number, downloaded: boolean, signature: SignatureView, };

export type AgendaItemView = { id: string, position: number, title: string, presenter: string, planned_minutes: number, documents: Array<DocumentView>, };

export type MeetingDetail = { meeting: MeetingSummary, items: Array<AgendaItemView>, };

export type NoteView = { id: string, meeting_id: string | null, text: string, updated_at: string, };

export type PageSize = { width: number, height: number, };

export type OpenedDocument = { id: string, meeting_id: string, title: string, version: number, sha256: string, classification: string, 
/**
 * Page sizes in PDF points, in page order.
 */
pages: Array<PageSize>, signature: SignatureView, 
/**
 * Shown across every page of a confidential document: the viewer's name.
 */
watermark: string | null, };

export type SearchHitView = { 
/**
 * 0-based.
 */
page: number, text: string, 
/**
 * PDF quad points: upper-left, upper-right, lower-left, lower-right.
 */
quads: Array<[[number, number], [number, number], [number, number], [number, number]]>, };

export type CharBox = { c: string, r: [number, number, number, number] | null, };

export type AnnotationBodyView = { "kind": "ink", color: string, width: number, 
/**
 * Strokes of `[x, y, pressure]` points.
 */
strokes: Array<Array<[number, number, number]>>, } | { "kind": "highlight", color: string, quads: Array<[[number, number], [number, number], [number, number], [number, number]]>, text: string, } | { "kind": "sticky", color: string, at: [number, number], text: string, } | { "kind": "free_text", color: string, rect: [number, number, number, number], size: number, text: string, };

export type AnnotationView = { id: string, mine: boolean, 
/**
 * The author's full name.
 */
author: string, version: number, page: number, shared: boolean, body: AnnotationBodyView, updated_at: string, };

export type AnnotationInput = { 
/**
 * Absent for a new annotation.
 */
id: string | null, document_id: string, 
/**
 * The version shown (`OpenedDocument::version`): a newer one may have arrived
 * since, and the marks belong to the pages the user sees.
 */
version: number | null, page: number, shared: boolean, body: AnnotationBodyView, };

export type RejectedView = { op_id: string, kind: string, code: string, message: string, };

export type DownloadProgress = { files: number, done_bytes: number, total_bytes: number, };

export type StatusView = { online: boolean, syncing: boolean, 
/**
 * RFC 3339 (UTC) of the last complete sync.
 */
last_sync: string | null, outbox: number, 
/**
 * Of those, ballots and written opinions (signing out warns about them).
 */
outbox_votes: number, rejected: Array<RejectedView>, download: DownloadProgress | null, 
/**
 * Files that failed their check.
 */
blob_errors: number, };

export type LiveItem = { id: string, position: number, title: string, presenter: string, planned_minutes: number, };

export type SpeakView = { id: string, user_id: string, 
/**
 * The speaker's full name.
 */
name: string, 
/**
 * `speak` (phát biểu) or `question` (chất vấn).
 */
kind: string, 
/**
 * `waiting`, `speaking`, `done`, `withdrawn`.
 */
status: string, requested_at: string, granted_at: string | null, limit_seconds: number | null, 
/**
 * Still in this device's outbox: its place is not known yet.
 */
pending: boolean, };

export type AttendanceView = { members: number, in_room: number, remote: number, represented: number, absent: number, not_checked_in: number, present: number, 
/**
 * Present members the quorum needs (two thirds of the members).
 */
quorum_required: number, quorum_met: boolean, };

export type OptionResultView = { label: string, votes: number, 
/**
 * Hundredths of a percent of the base, rounded down as the arithmetic counts (2 of 3 = 6666).
 */
basis_points: number, chosen: boolean, };

export type PollResultView = { passed: boolean, quorum_met: boolean, members: number, present: number, cast: number, 
/**
 * The base's size under the rule, and the votes an option needs.
 */
base: number, required: number, options: Array<OptionResultView>, 
/**
 * The arithmetic in Vietnamese, one step a line.
 */
arithmetic: Array<string>, };

export type PollView = { id: string, item_id: string | null, question: string, 
/**
 * `open` (công khai), `named` (ghi danh), `secret` (kín).
 */
kind: string, 
/**
 * `motion` (passes or not) or `election` (up to `max_choices` options chosen).
 */
mode: string, 
/**
 * `draft`, `open`, `closed`.
 */
status: string, options: Array<string>, max_choices: number, allow_recast: boolean, opened_at: string | null, closes_at: string | null, closed_at: string | null, 
/**
 * Ballots received so far.
 */
cast: number, 
/**
 * Votes per option; absent while a secret poll is open.
 */
votes: Array<number> | null, 
/**
 * This user's own choices, once cast (acknowledged or still in the outbox).
 */
my_choices: Array<number> | null, 
/**
 * Cast here, not yet acknowledged by the server.
 */
my_pending: boolean, 
/**
 * Whether this user may vote in the meeting.
 */
may_vote: boolean, 
/**
 * The final result once closed; a preview with today's attendance while open.
 */
result: PollResultView | null, };

export type PresentationView = { presenter: string, 
/**
 * This user is the presenter.
 */
mine: boolean, document_id: string, document_title: string, 
/**
 * 1-based.
 */
page: number, };

export type LiveView = { meeting_id: string, meeting_title: string, 
/**
 * This user runs the meeting (chair or secretary): the console is theirs.
 */
runs_meeting: boolean, 
/**
 * This user votes in the meeting (chair and members).
 */
votes: boolean, 
/**
 * This user may show pages to the room: chair, secretary, or whoever has the floor.
 */
may_present: boolean, 
/**
 * This user's attendance: `in_room`, `remote`, `absent`, `proxy`, or absent.
 */
my_attendance: string | null, current_item: LiveItem | null, 
/**
 * Seconds left of the current item's planned time (negative: over time).
 */
item_remaining_seconds: number | null, speaker: SpeakView | null, speaker_remaining_seconds: number | null, queue: Array<SpeakView>, history: Array<SpeakView>, 
/**
 * This user's waiting or granted request, and its 1-based place in the queue.
 */
my_request: SpeakView | null, my_place: number | null, attendance: AttendanceView, 
/**
 * Newest first.
 */
polls: Array<PollView>, presentation: PresentationView | null, 
/**
 * Every agenda item, for the chair's "current item" choice.
 */
items: Array<LiveItem>, 
/**
 * When this view was read (RFC 3339, UTC): timers count down from here.
 */
at: string, };

export type LiveEvent = { meeting_id: string, 
/**
 * The kinds of entity that changed, e.g. `poll`, `speak_request`.
 */
kinds: Array<string>, };

export const EVENT_STATUS = "status";
export const EVENT_DATA_CHANGED = "data-changed";
export const EVENT_SESSION_ENDED = "session-ended";
export const EVENT_LIVE = "live";
