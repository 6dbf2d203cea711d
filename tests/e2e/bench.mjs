// `cargo xtask bench app`: the release app under Xvfb through WebDriver, against the
// release server with the demo province plus a 50-page and a 300-page document.
//   cold start  — session request (the app process starting) to the meeting list painted
//   open        — click on a 50-page document to the frame that shows its first page
//                 (the frame after the page image's load event), as a delegate
//                 does it: from the meeting screen, which prepares the agenda's first
//                 documents (ui/src/lib/prepare.ts); and cold, in a new app process with
//                 preparing off
//   page flip   — PageDown to the next page's image painted (median of 20)
//   RSS         — app + webview processes with the 300-page document open, scrolled
// beside the raw PDFium render of the same first page at the same width (the engine,
// cache off) in the same run: ratio = open ÷ raw render (goal ≤ 1.5); and the webview's
// own floor for showing a page image it already holds, decoded (no bridge, no engine).
import { execFileSync, spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { $t, appDataDir, DemoServer, Driver, env, PASSWORD, sleep, waitFor } from './lib.mjs';

const root = resolve(import.meta.dirname, '../..');
const python = env('PHONGHOP_VENV_PYTHON');
const median = (xs) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];

function bigPdf(pages) {
  const out = join(tmpdir(), `phonghop-bench-${pages}.pdf`);
  execFileSync(python, [join(import.meta.dirname, 'make_big_pdf.py'), String(pages), out, join(root, 'assets/demo')]);
  return out;
}

async function attach(secretary, file, title) {
  const bytes = readFileSync(file);
  const sha = createHash('sha256').update(bytes).digest('hex');
  await secretary.put(`/api/v1/blobs/${sha}`, bytes, 'application/pdf');
  const changes = await secretary.changes();
  const meetings = changes.filter((c) => c.type === 'meeting').sort((a, b) => a.starts_at.localeCompare(b.starts_at));
  const today = meetings[1];
  const item = changes.filter((c) => c.type === 'agenda_item' && c.meeting_id === today.id).sort((a, b) => a.position - b.position)[0];
  const r = await secretary.post('/api/v1/ops', {
    ops: [{ id: crypto.randomUUID(), op: { type: 'document.attach', document_id: crypto.randomUUID(), item_id: item.id, title, kind: 'report', classification: 'public', sha256: sha } }],
  });
  if (r.results[0].status !== 'accepted') throw new Error(JSON.stringify(r));
}

/** RSS in KiB of a process and all its descendants. */
function treeRss(pid) {
  const children = new Map();
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      if (!children.has(ppid)) children.set(ppid, []);
      children.get(ppid).push(Number(d));
    } catch {
      /* gone */
    }
  }
  let total = 0;
  const stack = [pid];
  while (stack.length) {
    const p = stack.pop();
    try {
      const m = readFileSync(`/proc/${p}/status`, 'utf8').match(/VmRSS:\s+(\d+)/);
      if (m) total += Number(m[1]);
    } catch {
      /* gone */
    }
    stack.push(...(children.get(p) ?? []));
  }
  return total;
}

function appPid() {
  const bin = env('PHONGHOP_APP_BIN');
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      const cmd = readFileSync(`/proc/${d}/cmdline`, 'utf8').split('\0');
      if (cmd[0] === bin && cmd.includes('--data-dir')) return Number(d);
    } catch {
      /* gone */
    }
  }
  throw new Error('the app process is not running');
}

async function openDocument(b, title) {
  await (await b.$('[data-testid="meeting"][data-when="today"]')).click();
  const button = await waitFor(`document ${title}`, async () => {
    for (const d of await b.$$('[data-testid="document"]')) {
      if ((await d.getText()).includes(title)) return d.$('[data-testid="open-document"]');
    }
    return null;
  });
  await button.click();
  // To the frame after the first page's image loaded: when the reader sees it.
  const ms = await waitFor('first page painted', () =>
    b.execute(() => {
      const p = window.__phonghopPerf;
      return p && p.marks['first-page-frame'] !== undefined ? p.marks['first-page-frame'] - p.marks['open-document'] : null;
    }),
  );
  // Where the time went: the viewer's script ran (from what was prepared), the engine
  // answered, the first page's image loaded — each from the click.
  const marks = await b.execute(() => {
    const m = window.__phonghopPerf.marks;
    const at = (k) => (m[k] === undefined || m[k] < m['open-document'] ? null : m[k] - m['open-document']);
    return { viewer: at('viewer-from-prepared'), engine: at('document-opened'), loaded: at('first-page') };
  });
  breakdown.push({ ...marks, page: ms });
  return ms;
}

/** The webview's own floor, with the first page open: the same page image, decoded and
 *  cached already, put into the page again — to its load event (what `open` stops at)
 *  and to the frame after; and a frame with nothing to do. No bridge, no engine. */
async function webviewFloor(b) {
  return b.executeAsync((done) => {
    const src = document.querySelector('[data-testid="page-image"]').src;
    const host = document.querySelector('[data-testid="page"]');
    const loads = [];
    const frames = [];
    const idle = [];
    const once = (k) => {
      if (k === 15) {
        done({ loads, frames, idle });
        return;
      }
      const t = performance.now();
      requestAnimationFrame(() => {
        idle.push(performance.now() - t);
        const img = new Image();
        img.style.cssText = 'position:absolute;left:0;top:0;z-index:5';
        const t0 = performance.now();
        img.onload = () => {
          loads.push(performance.now() - t0);
          requestAnimationFrame(() => {
            frames.push(performance.now() - t0);
            img.remove();
            setTimeout(() => once(k + 1), 60);
          });
        };
        img.src = src;
        host.append(img);
      });
    };
    once(0);
  });
}

const server = await DemoServer.create();
await server.start();
const thuky = await server.api('thuky');
const pdf50 = bigPdf(50);
const pdf300 = bigPdf(300);
await attach(thuky, pdf50, 'Bench 50 trang');
await attach(thuky, pdf300, 'Bench 300 trang');

// A signed-in, fully synced cache, as a delegate has it the morning of the meeting.
const data = appDataDir();
const cli = join(resolve(env('PHONGHOP_SERVER_BIN'), '..'), 'phonghop');
spawnSync(cli, ['--cache', data, 'login', '--server', server.url, '--username', 'daibieu01', '--password-stdin'], { input: PASSWORD });
const sync = spawnSync(cli, ['--cache', data, 'sync'], { stdio: 'ignore' });
if (sync.status !== 0) throw new Error('phonghop sync failed');

const driver = await Driver.start();
const cold = [];
const coldOpen = [];
/** lib/prepare.ts's setting. */
const PREPARE_SETTING = 'phonghop.prepare';
let openMs = [];
const breakdown = [];
let floor = null;
let flips = [];
let rssKiB = 0;
let width = 0;
try {
  for (let i = 0; i < 3; i += 1) {
    const t0 = performance.now();
    const b = await driver.app(data);
    await waitFor('meetings painted', async () => (await b.$('[data-testid="meeting"]')).isExisting(), 60000);
    cold.push(performance.now() - t0);
    if (i < 2) {
      // A new app process with preparing off: the first open of the document is cold all
      // the way (engine, render, encode, webview decode).
      await b.execute((key) => localStorage.setItem(key, 'off'), PREPARE_SETTING);
      coldOpen.push(await openDocument(b, 'Bench 50 trang'));
      await b.execute((key) => localStorage.removeItem(key), PREPARE_SETTING);
      await b.deleteSession();
      continue;
    }
    for (let k = 0; k < 3; k += 1) {
      openMs.push(await openDocument(b, 'Bench 50 trang'));
      width = Number((await (await b.$('[data-testid="page-image"]')).getAttribute('src')).split('/').pop());
      await (await $t(b, 'viewer-back')).click();
      await (await $t(b, 'back')).click();
    }
    await openDocument(b, 'Bench 50 trang');
    await sleep(500);
    floor = await webviewFloor(b);
    for (let k = 0; k < 20; k += 1) {
      const ms = await b.executeAsync((done) => {
        const scroller = document.querySelector('[data-testid="scroller"]');
        const before = Number(scroller.dataset.currentPage);
        const t0 = performance.now();
        window.dispatchEvent(new KeyboardEvent('keydown', { key: 'PageDown' }));
        const check = () => {
          const target = document.querySelector(`[data-testid="page"][data-page="${before + 1}"] img`);
          if (target && target.complete && target.naturalWidth > 0) {
            requestAnimationFrame(() => done(performance.now() - t0));
          } else {
            setTimeout(check, 2);
          }
        };
        check();
      });
      flips.push(ms);
    }
    await (await $t(b, 'viewer-back')).click();
    await (await $t(b, 'back')).click();
    await openDocument(b, 'Bench 300 trang');
    for (const page of [50, 100, 150]) {
      await (await $t(b, 'page-input')).setValue(String(page));
      await b.keys('Enter');
      await sleep(400);
    }
    await sleep(1000);
    rssKiB = treeRss(appPid());
    await b.deleteSession();
  }
} finally {
  await driver.stop();
  await server.cleanup();
  rmSync(data, { recursive: true, force: true });
}

const raw = JSON.parse(execFileSync(env('PHONGHOP_APP_BIN'), ['--bench-render', pdf50, String(width), '15'], { encoding: 'utf8' }).trim());
const open = median(openMs);
console.log(`cold start to meeting list painted: median ${median(cold).toFixed(0)} ms (runs: ${cold.map((x) => x.toFixed(0)).join(', ')})`);
console.log(`open 50-page document to first page painted: median ${open.toFixed(1)} ms (runs: ${openMs.map((x) => x.toFixed(1)).join(', ')}), page width ${width} px`);
const warm = breakdown.slice(coldOpen.length, coldOpen.length + openMs.length);
const fmt = (xs) => xs.map((x) => (x === null ? '–' : x.toFixed(1))).join(', ');
console.log(
  `  from the click: viewer's script ran ${fmt(warm.map((x) => x.viewer))} ms; engine answered ${fmt(warm.map((x) => x.engine))} ms; first page image loaded ${fmt(warm.map((x) => x.loaded))} ms; its frame ${fmt(warm.map((x) => x.page))} ms`,
);
console.log(
  `webview floor (the same decoded, cached page image put in the page again, 15 times): to its load event median ${median(floor.loads).toFixed(1)} ms, to the next frame ${median(floor.frames).toFixed(1)} ms; an empty frame ${median(floor.idle).toFixed(1)} ms`,
);
console.log(`the same, cold (new app process, preparing off): ${coldOpen.map((x) => x.toFixed(1)).join(', ')} ms`);
console.log(`page flip to next page painted: median ${median(flips).toFixed(1)} ms, max ${Math.max(...flips).toFixed(1)} ms (20 flips)`);
console.log(`RSS, app + webview processes, 300-page document open: ${(rssKiB / 1024).toFixed(0)} MiB`);
console.log(`raw PDFium render of page 1 at ${width} px (engine, cache off): median ${raw.median_render_ms.toFixed(1)} ms; open ${raw.open_ms.toFixed(1)} ms`);
console.log(
  `webview floor ÷ raw render: ${(median(floor.loads) / raw.median_render_ms).toFixed(2)} (load event), ${(median(floor.frames) / raw.median_render_ms).toFixed(2)} (next frame)`,
);
console.log(
  `bench app: ours=${open.toFixed(1)} ms reference=${raw.median_render_ms.toFixed(1)} ms ratio=${(open / raw.median_render_ms).toFixed(2)} (lower is better; goal <= 1.5)`,
);
