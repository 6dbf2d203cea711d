// Timing marks the app benchmark reads through WebDriver (`window.__phonghopPerf`).
// Cheap enough to keep in every build: a few numbers in a map.

interface Perf {
  marks: Record<string, number>;
  /** When each page's image (0-based index) last finished loading. */
  pages: Record<number, number>;
  /** Documents whose first page the meeting screen got ready (id → when). */
  prepared: Record<string, number>;
}

declare global {
  interface Window {
    __phonghopPerf?: Perf;
  }
}

function perf(): Perf {
  window.__phonghopPerf ??= { marks: {}, pages: {}, prepared: {} };
  return window.__phonghopPerf;
}

export function mark(name: string): void {
  perf().marks[name] = performance.now();
}

export function pageLoaded(index: number): void {
  perf().pages[index] = performance.now();
  if (!('first-page' in perf().marks)) {
    mark('first-page');
    // The frame that shows it: what the reader sees.
    requestAnimationFrame(() => mark('first-page-frame'));
  }
}

/** A new document: forget the page marks of the last one. */
export function resetPages(): void {
  perf().pages = {};
  delete perf().marks['first-page'];
  delete perf().marks['first-page-frame'];
  delete perf().marks['viewer-from-prepared'];
}

export function prepared(documentId: string): void {
  perf().prepared[documentId] = performance.now();
}
