// Opening a document should feel instant. While the meeting screen is up, it prepares
// the first documents of its agenda the way the viewer will show them: the engine opens
// each one and renders its first page at the width the viewer will ask for, and the
// webview decodes that image. The viewer then paints its first frame from what was
// prepared, without waiting on the bridge, and finds its first page already decoded.
import { api, pageUrl } from './api';
import type { OpenedDocument } from './bindings';
import { fitScale, renderWidth, THUMBS_WIDTH } from './layout';
import { prepared } from './perf';

/** Documents prepared per meeting screen. Each decoded first page holds a few MB of the
 *  webview's memory (1088 × 1540 px × 4 B ≈ 6.7 MB). */
export const PREPARE_LIMIT = 6;
/** `localStorage` key: "off" turns preparing off (low-memory devices; the benchmark's
 *  cold open). */
export const PREPARE_SETTING = 'phonghop.prepare';

const opened = new Map<string, OpenedDocument>();
/** Decoded first pages, newest last, referenced so that the webview keeps them. */
const decoded: HTMLImageElement[] = [];
/** The viewer's scroller as last measured, to predict its width next time. */
let measured: { scroller: number; window: number; thumbs: boolean } | null = null;
let scrollbar: number | null = null;

function scrollbarWidth(): number {
  if (scrollbar === null) {
    const probe = document.createElement('div');
    probe.style.cssText = 'position:absolute;top:-200px;width:100px;height:100px;overflow-y:scroll';
    document.body.append(probe);
    scrollbar = probe.offsetWidth - probe.clientWidth;
    probe.remove();
  }
  return scrollbar;
}

/** The viewer measured its scroller (CSS pixels) with or without thumbnails. */
export function rememberViewerWidth(scroller: number, thumbs: boolean): void {
  measured = { scroller, window: window.innerWidth, thumbs };
}

/** The width the viewer's scroller will have when it opens (with its thumbnails): as
 *  last measured so, else from the layout. */
export function expectedViewerWidth(): number {
  if (measured?.thumbs) return measured.scroller + window.innerWidth - measured.window;
  return window.innerWidth - THUMBS_WIDTH - scrollbarWidth();
}

/** The document as last opened here: the viewer's first frame until the engine answers. */
export function preparedDocument(id: string): OpenedDocument | null {
  return opened.get(id) ?? null;
}

export function documentOpened(d: OpenedDocument): void {
  opened.set(d.id, d);
}

/** The engine no longer opens `id` for this user: nothing of it is shown from here. */
export function forgetDocument(id: string): void {
  const d = opened.get(id);
  opened.delete(id);
  if (!d) return;
  for (let i = decoded.length - 1; i >= 0; i -= 1) {
    if (decoded[i]?.src.includes(`/${d.sha256}/`)) decoded.splice(i, 1);
  }
}

/** Signed out, or the session ended: forget everything prepared for that user. */
export function forgetAll(): void {
  session += 1;
  opened.clear();
  decoded.length = 0;
  underway.clear();
}

/** Bumped by every sign-out: a preparation begun before it keeps nothing. */
let session = 0;

/** The URL of the first page as the viewer asks for it at fit width. */
export function firstPageUrl(d: OpenedDocument, scrollerWidth: number): string | null {
  const first = d.pages[0];
  if (!first) return null;
  const scale = fitScale(d.pages, scrollerWidth);
  return pageUrl(d.sha256, 0, renderWidth(first.width * scale, window.devicePixelRatio));
}

function isDecoded(url: string | null): boolean {
  return url !== null && decoded.some((img) => img.src === url);
}

function enabled(): boolean {
  try {
    return localStorage.getItem(PREPARE_SETTING) !== 'off';
  } catch {
    return true;
  }
}

type DocRef = { id: string; version: number };

/** Preparations under way, so that the agenda's order and a finger on the same document
 *  do the work once. */
const underway = new Map<string, Promise<void>>();

/** Prepares the first `PREPARE_LIMIT` of `docs`, one at a time, until `signal` aborts
 *  (the meeting screen closed: the viewer then has the engine to itself). A document
 *  whose version is prepared already costs nothing: coming back to the meeting screen
 *  must not compete with the next tap. */
export async function prepare(docs: readonly DocRef[], signal: AbortSignal): Promise<void> {
  if (!enabled()) return;
  for (const doc of docs.slice(0, PREPARE_LIMIT)) {
    if (signal.aborted) return;
    await prepareOne(doc, signal);
  }
}

/** A finger (or a mouse button) went down on a document: prepare it now, ahead of the
 *  agenda's order — a tap lasts long enough for the engine to open it, and the viewer
 *  then starts from it. */
export function prepareNow(doc: DocRef): void {
  if (enabled()) void prepareOne(doc, null);
}

function prepareOne(doc: DocRef, signal: AbortSignal | null): Promise<void> {
  const known = opened.get(doc.id);
  if (known?.version === doc.version && isDecoded(firstPageUrl(known, expectedViewerWidth()))) {
    return Promise.resolve();
  }
  let work = underway.get(doc.id);
  if (!work) {
    const begun = session;
    work = (async () => {
      try {
        const d = await api.openDocument(doc.id);
        if (begun !== session) return;
        documentOpened(d);
        const url = firstPageUrl(d, expectedViewerWidth());
        if (!url || signal?.aborted || isDecoded(url)) return;
        const img = new Image();
        img.src = url;
        await img.decode();
        if (begun !== session) return;
        decoded.push(img);
        if (decoded.length > PREPARE_LIMIT) decoded.shift();
        prepared(doc.id);
      } catch {
        // Not downloaded yet, or unreadable: the viewer says why when it is opened.
      } finally {
        if (begun === session) underway.delete(doc.id);
      }
    })();
    underway.set(doc.id, work);
  }
  return work;
}
