// PDF page coordinates (points, origin bottom-left) ↔ the on-screen page (CSS pixels,
// origin top-left). Annotations are stored in page coordinates so they stay put at any zoom.
import type { CharBox } from './bindings';

export type Tool = 'read' | 'pen' | 'highlight' | 'sticky' | 'eraser';

export interface PageBox {
  /** Page size in points. */
  width: number;
  height: number;
  /** CSS pixels per point. */
  scale: number;
}

export function toPage(box: PageBox, x: number, y: number): [number, number] {
  return [x / box.scale, box.height - y / box.scale];
}

export function toScreen(box: PageBox, px: number, py: number): [number, number] {
  return [px * box.scale, (box.height - py) * box.scale];
}

/** An SVG path through ink points given in page coordinates. */
export function inkPath(box: PageBox, points: readonly (readonly number[])[]): string {
  if (points.length === 0) return '';
  const parts: string[] = [];
  points.forEach((p, i) => {
    const [x, y] = toScreen(box, p[0] ?? 0, p[1] ?? 0);
    parts.push(`${i === 0 ? 'M' : 'L'}${x.toFixed(1)} ${y.toFixed(1)}`);
  });
  if (points.length === 1) {
    const [x, y] = toScreen(box, points[0]?.[0] ?? 0, points[0]?.[1] ?? 0);
    parts.push(`L${(x + 0.1).toFixed(1)} ${y.toFixed(1)}`);
  }
  return parts.join(' ');
}

/** Mean pressure of a stroke (0.5 when the device gave none). */
export function meanPressure(points: readonly (readonly number[])[]): number {
  if (points.length === 0) return 0.5;
  return points.reduce((a, p) => a + (p[2] ?? 0.5), 0) / points.length;
}

/** Distance from point (x, y) to the segment a–b. */
function segmentDistance(x: number, y: number, a: readonly number[], b: readonly number[]): number {
  const [ax, ay, bx, by] = [a[0] ?? 0, a[1] ?? 0, b[0] ?? 0, b[1] ?? 0];
  const dx = bx - ax;
  const dy = by - ay;
  const len2 = dx * dx + dy * dy;
  const t = len2 === 0 ? 0 : Math.max(0, Math.min(1, ((x - ax) * dx + (y - ay) * dy) / len2));
  return Math.hypot(x - (ax + t * dx), y - (ay + t * dy));
}

/** Whether an ink stroke passes within `radius` points of (x, y): the eraser's test. */
export function strokeHit(points: readonly (readonly number[])[], x: number, y: number, radius: number): boolean {
  if (points.length === 1) return Math.hypot(x - (points[0]?.[0] ?? 0), y - (points[0]?.[1] ?? 0)) <= radius;
  for (let i = 1; i < points.length; i += 1) {
    const a = points[i - 1];
    const b = points[i];
    if (a && b && segmentDistance(x, y, a, b) <= radius) return true;
  }
  return false;
}

export type Quad = [[number, number], [number, number], [number, number], [number, number]];

/** A quad (UL, UR, LL, LR) as a screen rectangle [left, top, width, height]. */
export function quadRect(box: PageBox, q: readonly (readonly number[])[]): [number, number, number, number] {
  const xs = q.map((p) => p[0] ?? 0);
  const ys = q.map((p) => p[1] ?? 0);
  const [l, t] = toScreen(box, Math.min(...xs), Math.max(...ys));
  const [r, b] = toScreen(box, Math.max(...xs), Math.min(...ys));
  return [l, t, r - l, b - t];
}

/** The index of the character nearest (x, y) in page coordinates, or -1. */
export function nearestChar(chars: readonly CharBox[], x: number, y: number): number {
  let best = -1;
  let bestD = Infinity;
  chars.forEach((c, i) => {
    if (!c.r) return;
    const [l, b, r, t] = c.r;
    const dx = x < l ? l - x : x > r ? x - r : 0;
    const dy = y < b ? b - y : y > t ? y - t : 0;
    const d = dx * dx + dy * dy * 4;
    if (d < bestD) {
      bestD = d;
      best = i;
    }
  });
  return best;
}

/** Quads (one per line) over chars[from..=to], and their text. */
export function selectionQuads(chars: readonly CharBox[], from: number, to: number): { quads: Quad[]; text: string } {
  const [a, b] = from <= to ? [from, to] : [to, from];
  const lines: [number, number, number, number][] = [];
  let text = '';
  for (let i = Math.max(0, a); i <= b && i < chars.length; i += 1) {
    const c = chars[i];
    if (!c) continue;
    text += c.c;
    if (!c.r || c.c.trim() === '') continue;
    const [l, bt, r, t] = c.r;
    const last = lines[lines.length - 1];
    if (last) {
      const overlap = Math.min(last[3], t) - Math.max(last[1], bt);
      const smaller = Math.min(last[3] - last[1], t - bt);
      if (overlap > 0.5 * smaller) {
        last[0] = Math.min(last[0], l);
        last[1] = Math.min(last[1], bt);
        last[2] = Math.max(last[2], r);
        last[3] = Math.max(last[3], t);
        continue;
      }
    }
    lines.push([l, bt, r, t]);
  }
  const quads = lines.map(
    ([l, bt, r, t]): Quad => [
      [l, t],
      [r, t],
      [l, bt],
      [r, bt],
    ],
  );
  return { quads, text: text.replace(/\s+/g, ' ').trim() };
}
