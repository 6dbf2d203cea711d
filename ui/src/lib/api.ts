// Typed wrappers over the shell's commands. Every type comes from the generated
// bindings; errors arrive as `AppError` ({code, message}) and are rethrown as such.
import { invoke } from '@tauri-apps/api/core';
import { listen, type UnlistenFn } from '@tauri-apps/api/event';
import type {
  AnnotationInput,
  AnnotationView,
  AppError,
  CharBox,
  Code,
  LiveEvent,
  LiveView,
  MeetingDetail,
  MeetingSummary,
  NoteView,
  OpenedDocument,
  SearchHitView,
  SessionInfo,
  StatusView,
} from './bindings';
import { EVENT_DATA_CHANGED, EVENT_LIVE, EVENT_SESSION_ENDED, EVENT_STATUS } from './bindings';

/** Every code the bridge sends; the compiler fails here when bindings.ts gains one. */
const KNOWN = {
  bad_credentials: true,
  offline: true,
  throttled: true,
  account_disabled: true,
  device_revoked: true,
  server_error: true,
  not_logged_in: true,
  session_ended: true,
  forbidden: true,
  not_found: true,
  not_downloaded: true,
  invalid: true,
  newer_cache: true,
  storage: true,
  pdf: true,
  poll_not_open: true,
  already_voted: true,
  internal: true,
} satisfies Record<Code, true>;
const CODES = Object.keys(KNOWN) as readonly Code[];

export function isAppError(e: unknown): e is AppError {
  if (typeof e !== 'object' || e === null) return false;
  const r = e as Record<string, unknown>;
  return typeof r.code === 'string' && typeof r.message === 'string' && (CODES as readonly string[]).includes(r.code);
}

/** Whatever was thrown, as an AppError (a bridge failure becomes `internal`). */
export function asAppError(e: unknown): AppError {
  if (isAppError(e)) return e;
  return { code: 'internal', message: String(e) };
}

async function call<T>(cmd: string, args?: Record<string, unknown>): Promise<T> {
  try {
    return await invoke<T>(cmd, args);
  } catch (e) {
    throw asAppError(e);
  }
}

export const api = {
  sessionRestore: () => call<SessionInfo | null>('session_restore'),
  login: (server: string, username: string, password: string) =>
    call<SessionInfo>('login', { server, username, password }),
  logout: () => call<null>('logout'),
  meetings: () => call<MeetingSummary[]>('meetings_list'),
  meeting: (id: string) => call<MeetingDetail>('meeting_detail', { id }),
  openDocument: (id: string) => call<OpenedDocument>('document_open', { id }),
  /** `version`: the one shown (`OpenedDocument.version`), else the current one. */
  search: (id: string, query: string, version?: number) =>
    call<SearchHitView[]>('document_search', { id, query, version: version ?? null }),
  pageText: (id: string, page: number, version?: number) =>
    call<CharBox[]>('page_text', { id, page, version: version ?? null }),
  exportDocument: (id: string) => call<string>('document_export', { id }),
  annotations: (documentId: string, version?: number) =>
    call<AnnotationView[]>('annotations_list', { documentId, version: version ?? null }),
  saveAnnotation: (input: AnnotationInput) => call<string>('annotation_save', { input }),
  deleteAnnotation: (id: string) => call<null>('annotation_delete', { id }),
  notes: (meetingId: string) => call<NoteView[]>('notes_list', { meetingId }),
  saveNote: (meetingId: string, id: string | null, text: string) =>
    call<string>('note_save', { meetingId, id, text }),
  deleteNote: (id: string) => call<null>('note_delete', { id }),
  status: () => call<StatusView>('status'),
  syncNow: () => call<null>('sync_now'),
  dismissRejected: (opId: string) => call<null>('dismiss_rejected', { opId }),
  live: (meetingId: string) => call<LiveView>('live_view', { meetingId }),
  checkIn: (meetingId: string, how: 'in_room' | 'remote') => call<null>('attendance_check_in', { meetingId, how }),
  requestFloor: (meetingId: string, kind: 'speak' | 'question') => call<string>('speak_request', { meetingId, kind }),
  withdrawFloor: (id: string) => call<null>('speak_withdraw', { id }),
  grantFloor: (id: string, limitSeconds: number | null) => call<null>('speak_grant', { id, limitSeconds }),
  endFloor: (id: string) => call<null>('speak_end', { id }),
  setCurrentItem: (meetingId: string, itemId: string | null) => call<null>('current_item_set', { meetingId, itemId }),
  createPoll: (meetingId: string, question: string, kind: string, durationSeconds: number | null, open: boolean) =>
    call<string>('poll_create', { meetingId, question, kind, durationSeconds, open }),
  openPoll: (id: string) => call<null>('poll_open', { id }),
  closePoll: (id: string) => call<null>('poll_close', { id }),
  vote: (pollId: string, choices: number[]) => call<null>('vote', { pollId, choices }),
  openProjector: (meetingId: string) => call<null>('projector_open', { meetingId }),
  presentPage: (meetingId: string, documentId: string, page: number) =>
    call<null>('present_page', { meetingId, documentId, page }),
  presentStop: (meetingId: string) => call<null>('present_stop', { meetingId }),
};

export const events = {
  onStatus: (f: (s: StatusView) => void): Promise<UnlistenFn> =>
    listen<StatusView>(EVENT_STATUS, (e) => f(e.payload)),
  onDataChanged: (f: () => void): Promise<UnlistenFn> => listen(EVENT_DATA_CHANGED, () => f()),
  onSessionEnded: (f: (reason: Code) => void): Promise<UnlistenFn> =>
    listen<Code | null>(EVENT_SESSION_ENDED, (e) => f(e.payload ?? 'session_ended')),
  onLive: (f: (e: LiveEvent) => void): Promise<UnlistenFn> => listen<LiveEvent>(EVENT_LIVE, (e) => f(e.payload)),
};

/** The URL of a rendered page (served by the shell's `page://` scheme). */
export function pageUrl(sha256: string, page: number, width: number): string {
  const path = `${sha256}/${page}/${Math.round(width)}`;
  // WebKitGTK reaches custom schemes as scheme://localhost; WebView2 as http://scheme.localhost.
  return navigator.userAgent.includes('Windows') ? `http://page.localhost/${path}` : `page://localhost/${path}`;
}
