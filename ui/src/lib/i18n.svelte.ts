// Vietnamese by default, English on request. The choice is remembered on this device.
import type { Code, SignatureStatus } from './bindings';
import { en, vi, type Dict } from './messages';

export type Lang = 'vi' | 'en';

const saved = typeof localStorage !== 'undefined' ? localStorage.getItem('phonghop.lang') : null;

export const i18n = $state<{ lang: Lang }>({ lang: saved === 'en' ? 'en' : 'vi' });

export function setLang(lang: Lang): void {
  i18n.lang = lang;
  localStorage.setItem('phonghop.lang', lang);
  document.documentElement.lang = lang;
}

function dict(): Dict {
  return i18n.lang === 'en' ? en : vi;
}

type TextKey = { [K in keyof Dict]: Dict[K] extends string ? K : never }[keyof Dict];

/** The message for `key`, with `{name}` placeholders filled in. */
export function t(key: TextKey, vars: Record<string, string | number> = {}): string {
  let s: string = dict()[key];
  for (const [k, v] of Object.entries(vars)) s = s.replaceAll(`{${k}}`, String(v));
  return s;
}

/** The translated message for an error code (never the English detail). */
export function errorText(code: Code): string {
  return dict().errors[code];
}

/** A refused change, in words: what it was and why the server refused it. */
export function refusalText(kind: string, code: string): { what: string; why: string } {
  const d = dict();
  return { what: d.opKinds[kind] ?? kind, why: d.refusals[code] ?? d.refusals.other ?? code };
}

export function signatureText(s: SignatureStatus): string {
  return dict().signature[s];
}

/** What a signature status means for the reader, in plain words. */
export function signatureWhyText(s: SignatureStatus): string {
  return dict().signatureWhy[s];
}

export function kindText(kind: string): string {
  return dict().docKinds[kind] ?? kind;
}

export function statusText(status: string): string {
  return dict().meetingStatus[status] ?? status;
}

export function classificationText(c: string): string {
  return dict().classification[c] ?? c;
}

/** A word from one of the live meeting's tables (attendance, request kinds, polls). */
export function word(table: 'attendanceStates' | 'speakKinds' | 'pollKinds' | 'pollStatus', key: string): string {
  return dict()[table][key] ?? key;
}
