// One meeting's live state for the delegate panel, the chair's console and the
// projector: read from the shell (the local cache), re-read on every live event and
// sync, with a one-second clock for the timers.
import { api, asAppError, events } from './api';
import type { Code, LiveView } from './bindings';

export interface LiveState {
  view: LiveView | null;
  error: Code | null;
  /** Milliseconds since `view` was read, ticking every second. */
  elapsed: number;
  /** Re-reads at once (after this user's own action: it applied locally already). */
  reload?: () => void;
}

/** Loads and follows a meeting's live state until the returned stop function runs. */
export function followLive(meetingId: string, state: LiveState): () => void {
  let readAt = Date.now();
  let stopped = false;
  let inflight = false;
  let again = false;

  async function load(): Promise<void> {
    if (inflight) {
      again = true;
      return;
    }
    inflight = true;
    try {
      const v = await api.live(meetingId);
      if (stopped) return;
      state.view = v;
      state.error = null;
      readAt = Date.now();
      state.elapsed = 0;
    } catch (e) {
      if (!stopped) state.error = asAppError(e).code;
    } finally {
      inflight = false;
      if (again && !stopped) {
        again = false;
        void load();
      }
    }
  }

  state.reload = () => void load();
  void load();
  const unlisten = [
    events.onLive((e) => {
      if (e.meeting_id === meetingId) void load();
    }),
    events.onDataChanged(() => void load()),
    events.onStatus(() => void load()),
  ];
  const tick = setInterval(() => {
    state.elapsed = Date.now() - readAt;
  }, 1000);
  return () => {
    stopped = true;
    clearInterval(tick);
    for (const u of unlisten) void u.then((f) => f());
  };
}

/** Seconds left now of a countdown that had `seconds` left when the view was read. */
export function left(seconds: number | null, elapsed: number): number | null {
  return seconds === null ? null : seconds - Math.floor(elapsed / 1000);
}

/** 4:05, 1:02:03; the absolute value (the caller says "left" or "over"). */
export function clock(seconds: number): string {
  const s = Math.abs(seconds);
  const h = Math.floor(s / 3600);
  const m = Math.floor((s % 3600) / 60);
  const r = String(s % 60).padStart(2, '0');
  return h > 0 ? `${h}:${String(m).padStart(2, '0')}:${r}` : `${m}:${r}`;
}

/** Seconds until an RFC 3339 instant, from the moment the view was read. */
export function until(iso: string | null, view: LiveView, elapsed: number): number | null {
  if (!iso) return null;
  return Math.floor((Date.parse(iso) - Date.parse(view.at) - elapsed) / 1000);
}
