// Generated from src-tauri/src/dto.rs and error.rs by `bindings::generate`.
// Do not edit: run `PHONGHOP_WRITE_BINDINGS=1 cargo test -p phonghop-desktop bindings`.

export type Code = "bad_credentials" | "offline" | "throttled" | "account_disabled" | "device_revoked" | "server_error" | "not_logged_in" | "session_ended" | "forbidden" | "not_found" | "not_downloaded" | "invalid" | "newer_cache" | "storage" | "pdf" | "internal";

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
why: string | null, };

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
id: string | null, document_id: string, page: number, shared: boolean, body: AnnotationBodyView, };

export type RejectedView = { op_id: string, kind: string, code: string, message: string, };

export type DownloadProgress = { files: number, done_bytes: number, total_bytes: number, };

export type StatusView = { online: boolean, syncing: boolean, 
/**
 * RFC 3339 (UTC) of the last complete sync.
 */
last_sync: string | null, outbox: number, rejected: Array<RejectedView>, download: DownloadProgress | null, 
/**
 * Files that failed their check.
 */
blob_errors: number, };

export const EVENT_STATUS = "status";
export const EVENT_DATA_CHANGED = "data-changed";
export const EVENT_SESSION_ENDED = "session-ended";
