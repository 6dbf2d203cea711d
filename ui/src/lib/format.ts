// Dates and times as officials write them: dd/MM/yyyy, 24-hour, Asia/Ho_Chi_Minh.
// Việt Nam has kept UTC+7 without daylight saving since 1975, so a fixed offset is exact
// and does not depend on the webview's time-zone data.

const OFFSET_MS = 7 * 60 * 60 * 1000;

function local(iso: string): Date | null {
  const d = new Date(iso);
  return Number.isNaN(d.getTime()) ? null : new Date(d.getTime() + OFFSET_MS);
}

const pad = (n: number): string => String(n).padStart(2, '0');

/** 27/11/2026 */
export function formatDate(iso: string): string {
  const d = local(iso);
  if (!d) return '';
  return `${pad(d.getUTCDate())}/${pad(d.getUTCMonth() + 1)}/${d.getUTCFullYear()}`;
}

/** 08:30 */
export function formatTime(iso: string): string {
  const d = local(iso);
  if (!d) return '';
  return `${pad(d.getUTCHours())}:${pad(d.getUTCMinutes())}`;
}

/** 27/11/2026 08:30 */
export function formatDateTime(iso: string): string {
  return `${formatDate(iso)} ${formatTime(iso)}`;
}

/** The Vietnamese calendar day (yyyy-MM-dd) an instant falls on. */
export function dayKey(iso: string): string {
  const d = local(iso);
  if (!d) return '';
  return `${d.getUTCFullYear()}-${pad(d.getUTCMonth() + 1)}-${pad(d.getUTCDate())}`;
}

export type When = 'today' | 'upcoming' | 'past';

/** Today's, upcoming or past, by the Vietnamese calendar day of `now`. */
export function whenOf(startsAt: string, endsAt: string, now: Date = new Date()): When {
  const today = dayKey(now.toISOString());
  const start = dayKey(startsAt);
  const end = dayKey(endsAt);
  if (start <= today && today <= end) return 'today';
  return start > today ? 'upcoming' : 'past';
}

/** 1,5 MB in Vietnamese, 1.5 MB in English. */
export function formatBytes(n: number, lang: 'vi' | 'en' = 'vi'): string {
  const units = ['B', 'KB', 'MB', 'GB'];
  let v = n;
  let u = 0;
  while (v >= 1024 && u < units.length - 1) {
    v /= 1024;
    u += 1;
  }
  const s = u === 0 ? String(v) : v.toFixed(1);
  return `${lang === 'vi' ? s.replace('.', ',') : s} ${units[u]}`;
}

/** Folds Vietnamese text for matching: no case, no diacritics, đ → d. */
export function fold(s: string): string {
  return s
    .normalize('NFD')
    .replace(/\p{M}/gu, '')
    .replace(/[đĐ]/g, 'd')
    .toLowerCase()
    .replace(/\s+/g, ' ')
    .trim();
}
