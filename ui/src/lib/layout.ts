// Continuous scroll over pages of different sizes: where each page sits, and which are
// near the viewport (only those get an image).
import type { PageSize } from './bindings';

export const PAGE_GAP = 16;
export const PAGE_PAD = 20;

/** Top of each page in CSS pixels, plus the total height as the last entry. */
export function pageTops(pages: readonly PageSize[], scale: number): number[] {
  const tops: number[] = [];
  let y = PAGE_PAD;
  for (const p of pages) {
    tops.push(y);
    y += p.height * scale + PAGE_GAP;
  }
  tops.push(y + PAGE_PAD - PAGE_GAP);
  return tops;
}

/** The page at the reading line (a third down the viewport), 0-based. */
export function pageAt(tops: readonly number[], scrollTop: number, viewport: number): number {
  const line = scrollTop + viewport / 3;
  let lo = 0;
  let hi = Math.max(0, tops.length - 2);
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if ((tops[mid] ?? 0) <= line) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}

/** Pages overlapping the viewport grown by `margin` pixels each way. */
export function livePages(tops: readonly number[], scrollTop: number, viewport: number, margin: number): [number, number] {
  const n = tops.length - 1;
  if (n <= 0) return [0, -1];
  const first = pageAt(tops, scrollTop - margin, 0);
  let last = first;
  while (last + 1 < n && (tops[last + 1] ?? Infinity) < scrollTop + viewport + margin) last += 1;
  return [first, last];
}

/** The scale at which the widest page fills `available` pixels. */
export function fitWidthScale(pages: readonly PageSize[], available: number): number {
  const widest = Math.max(1, ...pages.map((p) => p.width));
  return Math.max(0.25, Math.min(4, (available - 2 * PAGE_PAD) / widest));
}

/** Room the viewer keeps beside the fitted page, inside the scroller. */
export const FIT_MARGIN = 24;
/** Width of the viewer's thumbnail column, border included. */
export const THUMBS_WIDTH = 150;

/** Renders come in widths that are multiples of this many pixels. */
export const RENDER_STEP = 64;

/** The fit-width scale for a scroller `scrollerWidth` CSS pixels wide. The widest page
 *  comes out a whole number of render steps wide, so that its image is shown pixel for
 *  pixel: sharper, and a plain copy for the webview to paint instead of a resampling. */
export function fitScale(pages: readonly PageSize[], scrollerWidth: number): number {
  const scale = fitWidthScale(pages, scrollerWidth - FIT_MARGIN);
  const widest = Math.max(1, ...pages.map((p) => p.width));
  const snapped = Math.floor((widest * scale) / RENDER_STEP) * RENDER_STEP;
  return snapped >= 4 * RENDER_STEP ? snapped / widest : scale;
}

/** Pixel width asked of the renderer for a page `cssWidth` CSS pixels wide: device
 *  pixels, in render steps so that zooming and resizing reuse renders. */
export function renderWidth(cssWidth: number, devicePixelRatio: number): number {
  // The epsilon keeps a width that is a whole number of steps (up to float error) there.
  const steps = Math.ceil((cssWidth * (devicePixelRatio || 1)) / RENDER_STEP - 1e-6);
  return Math.min(4096, steps * RENDER_STEP);
}
