// The desktop app end to end (`cargo xtask e2e`): the real app binary through
// tauri-driver + WebKitWebDriver under Xvfb, against the real server with the demo
// province. Log in; open today's meeting; open a signed document and see "hợp lệ" with
// the signer's name; search a diacritic-free word and land on its page; draw an ink
// stroke; quit; stop the server; start the app again — it opens offline with the
// document and the stroke; start the server — the stroke reaches it; removed from the
// meeting — the open document serves no more pages; an admin revokes the device — the
// app says so and does not open the session again.
import { execFileSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join } from 'node:path';
import { $t, appDataDir, DemoServer, Driver, env, PASSWORD, simplePdf, suite, waitFor } from './lib.mjs';

const DOC_TITLE = 'Kết quả rà soát';
const SIGNER = 'Hoàng Minh Tuấn';
const QUERY = 'khong day'; // "không dây": only on page 5
const QUERY_PAGE = 5;

const { step, finish } = suite();

async function openTodayDocument(b) {
  await waitFor('today meeting', async () => (await b.$('[data-testid="meeting"][data-when="today"]')).isExisting());
  await (await b.$('[data-testid="meeting"][data-when="today"]')).click();
  const button = await waitFor('the signed document, downloaded', async () => {
    for (const d of await b.$$('[data-testid="document"]')) {
      if ((await d.getText()).includes(DOC_TITLE)) {
        const open = await d.$('[data-testid="open-document"]');
        return (await open.isEnabled()) ? open : null;
      }
    }
    return null;
  }, 60000);
  await button.click();
  await waitFor('the first page image', async () => (await b.$('[data-testid="page-image"]')).isExisting());
}

/** The open document's title. (WebDriver's getText sometimes reads "" here.) */
function documentTitle(b) {
  return b.execute(() => document.querySelector('[data-testid="document-title"]')?.textContent ?? '');
}

/** Draws a stroke with the pen on page QUERY_PAGE, `dy` pixels below the first one. */
async function drawStroke(b, dy) {
  await (await $t(b, 'tool-pen')).click();
  const layer = await b.$(`[data-testid="page"][data-page="${QUERY_PAGE}"] [data-testid="page-layer"]`);
  await b
    .action('pointer', { parameters: { pointerType: 'mouse' } })
    .move({ origin: layer, x: -120, y: -60 + dy })
    .down()
    .move({ origin: layer, x: -60, y: -20 + dy, duration: 100 })
    .move({ origin: layer, x: 0, y: -40 + dy, duration: 100 })
    .move({ origin: layer, x: 80, y: 10 + dy, duration: 100 })
    .up()
    .perform();
}

async function inkStrokes(b) {
  return (await b.$$('[data-testid="annotation"][data-kind="ink"]')).length;
}

const server = await DemoServer.create();
const driver = await Driver.start();
const data = appDataDir();
let b = null;
let documentId = null;
let failed = false;

try {
  await server.start();
  b = await driver.app(data);

  await step('a wrong password says so in Vietnamese', async () => {
    await waitFor('the login form', async () => (await $t(b, 'login-form')).isExisting());
    await (await $t(b, 'server')).setValue(server.url);
    await (await $t(b, 'username')).setValue('daibieu01');
    // No password: said at once, nothing sent.
    await (await $t(b, 'login-submit')).click();
    const missing = await waitFor('the missing-field message', async () => {
      const e = await $t(b, 'login-missing');
      return (await e.isExisting()) ? e : null;
    });
    if (!(await missing.getText()).startsWith('Vui lòng nhập')) throw new Error(`message: ${await missing.getText()}`);
    await (await $t(b, 'password')).setValue('sai-mat-khau');
    await (await $t(b, 'login-submit')).click();
    const err = await waitFor('the error', async () => {
      const e = await $t(b, 'login-error');
      return (await e.isExisting()) ? e : null;
    });
    const text = await err.getText();
    if (text !== 'Sai tên đăng nhập hoặc mật khẩu') throw new Error(`error text: ${text}`);
  });

  await step('an unreachable server says so', async () => {
    await (await $t(b, 'server')).setValue('http://127.0.0.1:9');
    await (await $t(b, 'password')).setValue(PASSWORD);
    await (await $t(b, 'login-submit')).click();
    await waitFor('the offline error', async () => (await (await $t(b, 'login-error')).getAttribute('data-code')) === 'offline');
  });

  await step('log in as daibieu01', async () => {
    await (await $t(b, 'server')).setValue(server.url);
    await (await $t(b, 'password')).setValue(PASSWORD);
    await (await $t(b, 'login-submit')).click();
    await waitFor('the meeting list', async () => (await $t(b, 'meeting-list')).isExisting());
  });

  await step("open today's meeting and a signed document", async () => {
    await openTodayDocument(b);
    documentId = await documentTitle(b);
    if (!documentId.includes(DOC_TITLE)) throw new Error(`opened ${documentId}`);
  });

  await step('the signature is "hợp lệ" with the signer\'s name', async () => {
    const badge = await waitFor('the badge', async () => {
      const e = await b.$('.toolbar [data-testid="signature-badge"]');
      return (await e.isExisting()) ? e : null;
    });
    const status = await badge.getAttribute('data-status');
    const text = await badge.getText();
    if (status !== 'valid' || !text.includes('hợp lệ') || !text.includes(SIGNER)) {
      throw new Error(`badge: ${status} / ${text}`);
    }
    await badge.click();
    const signer = await waitFor('the details', async () => {
      const e = await $t(b, 'signer');
      return (await e.isExisting()) ? e.getText() : null;
    });
    if (signer !== SIGNER) throw new Error(`signer: ${signer}`);
    // Until this device has checked the file the details say the verdict is the
    // server's; the round's check then replaces it.
    await waitFor('the verdict checked on this device', async () => !(await (await $t(b, 'signature-source')).isExisting()));
    await badge.click();
  });

  await step(`search "${QUERY}" lands on page ${QUERY_PAGE}`, async () => {
    const input = await $t(b, 'search-input');
    await input.setValue(QUERY);
    await b.keys('Enter');
    await waitFor('the hit count', async () => (await (await $t(b, 'search-count')).getText()).includes('/'));
    await waitFor(`page ${QUERY_PAGE}`, async () => (await (await $t(b, 'scroller')).getAttribute('data-current-page')) === String(QUERY_PAGE));
    const hit = await b.$(`[data-testid="page"][data-page="${QUERY_PAGE}"] rect.hit`);
    if (!(await hit.isExisting())) throw new Error('no highlighted hit on the page');
  });

  await step('a page number out of range is said, and the page stays', async () => {
    const before = await (await $t(b, 'scroller')).getAttribute('data-current-page');
    await (await $t(b, 'page-input')).setValue('0');
    await b.keys('Enter');
    const err = await waitFor('the page error', async () => {
      const e = await $t(b, 'page-error');
      return (await e.isExisting()) ? e : null;
    });
    if (!(await err.getText()).includes('từ 1 đến')) throw new Error(`page error: ${await err.getText()}`);
    if ((await (await $t(b, 'scroller')).getAttribute('data-current-page')) !== before) throw new Error('the page moved');
  });

  await step('draw an ink stroke', async () => {
    await drawStroke(b, 0);
    await waitFor('the stroke, saved', async () => (await inkStrokes(b)) === 1);
  });

  await step('export with annotations: a flattened copy with the stroke drawn in', async () => {
    await (await $t(b, 'export')).click();
    const prefix = 'Đã lưu bản PDF có chú thích: ';
    const text = await waitFor('the export notice', async () => {
      const n = await $t(b, 'notice');
      const t = (await n.isExisting()) ? await n.getText() : '';
      return t.startsWith(prefix) ? t : null;
    });
    const out = text.slice(prefix.length);
    try {
      if (!existsSync(out)) throw new Error(`no file at ${out}`);
      const src = await (await b.$(`[data-testid="page"][data-page="${QUERY_PAGE}"] [data-testid="page-image"]`)).getAttribute('src');
      const sha = src.split('/').at(-3);
      const original = readdirSync(data, { recursive: true })
        .map((p) => join(data, p))
        .find((p) => p.endsWith(`/blobs/${sha.slice(0, 2)}/${sha}`));
      if (!original) throw new Error(`the document's file ${sha} is not in the cache`);
      // The page with the stroke differs from the original; the first page does not.
      const py = [
        'import sys, pypdfium2 as pdfium',
        'a, b, i = pdfium.PdfDocument(sys.argv[1]), pdfium.PdfDocument(sys.argv[2]), int(sys.argv[3])',
        'assert len(a) == len(b), (len(a), len(b))',
        'def diff(k):',
        '    x, y = bytes(a[k].render(scale=1).buffer), bytes(b[k].render(scale=1).buffer)',
        '    return sum(1 for p, q in zip(x, y) if p != q) + abs(len(x) - len(y))',
        'print(diff(i), diff(0))',
      ].join('\n');
      const [marked, first] = execFileSync(env('PHONGHOP_VENV_PYTHON'), ['-c', py, original, out, String(QUERY_PAGE - 1)], { encoding: 'utf8' })
        .trim()
        .split(' ')
        .map(Number);
      if (!(marked > 100)) throw new Error(`the stroke is not in the export (${marked} bytes differ)`);
      if (QUERY_PAGE !== 1 && first !== 0) throw new Error(`page 1 changed in the export (${first} bytes)`);
    } finally {
      rmSync(out, { force: true });
    }
  });

  await step('the meeting screen gets a document ready: it opens from what was prepared', async () => {
    await (await $t(b, 'viewer-back')).click();
    const id = await waitFor('the signed document on the agenda', async () => {
      for (const d of await b.$$('[data-testid="document"]')) {
        if ((await d.getText()).includes(DOC_TITLE)) return d.getAttribute('data-document-id');
      }
      return null;
    });
    await waitFor('its first page prepared', () => b.execute((doc) => window.__phonghopPerf?.prepared?.[doc] !== undefined, id));
    await (await b.$(`[data-testid="document"][data-document-id="${id}"] [data-testid="open-document"]`)).click();
    const marks = await waitFor('the first page', () =>
      b.execute(() => (window.__phonghopPerf?.marks['first-page'] !== undefined ? window.__phonghopPerf.marks : null)),
    );
    if (marks['viewer-from-prepared'] === undefined) throw new Error('the viewer did not start from the prepared document');
    const title = await documentTitle(b);
    if (title !== documentId) throw new Error(`opened ${title}`);
  });

  await step('a finger on a document gets it ready before the tap', async () => {
    await (await $t(b, 'viewer-back')).click();
    // The agenda's last document: beyond the ones the meeting screen prepares by itself.
    const docs = await waitFor('the agenda', async () => {
      const all = await b.$$('[data-testid="document"]');
      return all.length > 6 ? all : null;
    });
    const last = docs[docs.length - 1];
    const id = await last.getAttribute('data-document-id');
    const title = await (await last.$('.doc-title')).getText();
    const button = await last.$('[data-testid="open-document"]');
    await waitFor('it, downloaded', () => button.isEnabled(), 60000);
    await button.scrollIntoView({ block: 'center' });
    const isPrepared = () => b.execute((doc) => window.__phonghopPerf?.prepared?.[doc] !== undefined, id);
    if (await isPrepared()) throw new Error('prepared before anyone touched it');
    const finger = () => b.action('pointer', { id: 'finger', parameters: { pointerType: 'mouse' } });
    await finger().move({ origin: button }).down().perform(true);
    await waitFor('it, prepared while the button is held', isPrepared);
    await finger().up().perform();
    const marks = await waitFor('the first page', () =>
      b.execute(() => (window.__phonghopPerf?.marks['first-page'] !== undefined ? window.__phonghopPerf.marks : null)),
    );
    if (marks['viewer-from-prepared'] === undefined) throw new Error('the viewer did not start from the prepared document');
    const shown = await documentTitle(b);
    if (shown !== title) throw new Error(`opened ${shown}, not ${title}`);
  });

  await step('quit', async () => {
    await b.deleteSession();
    b = null;
  });

  await step('stop the server', async () => {
    await server.stop();
  });

  await step('the app opens offline with the document and the stroke', async () => {
    b = await driver.app(data);
    await waitFor('the meeting list, without logging in', async () => (await $t(b, 'meeting-list')).isExisting());
    await waitFor('offline in the status bar', async () => (await (await $t(b, 'status-bar')).getAttribute('data-online')) === 'false');
    await openTodayDocument(b);
    const title = await documentTitle(b);
    if (title !== documentId) throw new Error(`opened ${title}`);
    await (await $t(b, 'page-input')).setValue(String(QUERY_PAGE));
    await b.keys('Enter');
    await waitFor('the stroke', async () => (await inkStrokes(b)) === 1);
  });

  await step('offline, a second stroke waits; signing out warns and staying keeps the session', async () => {
    await drawStroke(b, 120);
    await waitFor('two strokes', async () => (await inkStrokes(b)) === 2);
    await waitFor('one change queued', async () => (await (await $t(b, 'status-bar')).getAttribute('data-outbox')) === '1');
    await (await $t(b, 'logout')).click();
    const ask = await waitFor('the warning', async () => {
      const a = await $t(b, 'logout-pending');
      return (await a.isExisting()) ? a : null;
    });
    const text = await ask.getText();
    if (!text.includes('còn 1 thay đổi chưa gửi')) throw new Error(`warning: ${text}`);
    if (await (await $t(b, 'logout-pending-votes')).isExisting()) throw new Error('a stroke counted as a vote');
    await (await $t(b, 'logout-stay')).click();
    await waitFor('the warning gone', async () => !(await (await $t(b, 'logout-pending')).isExisting()));
    if (!(await (await $t(b, 'scroller')).isExisting())) throw new Error('staying left the document');
  });

  await step('start the server: the strokes reach it', async () => {
    await server.start();
    await waitFor('online again with an empty outbox', async () => {
      const bar = await $t(b, 'status-bar');
      return (await bar.getAttribute('data-online')) === 'true' && (await bar.getAttribute('data-outbox')) === '0';
    }, 60000);
    const api = await server.api('daibieu01');
    await waitFor('the annotation on the server', async () => {
      const changes = await api.changes();
      return changes.filter((c) => c.type === 'annotation' && c.body.kind === 'ink' && c.page === QUERY_PAGE - 1).length === 2;
    });
  });

  await step('a new version arrives while reading: the marks stay, the new one opens on request', async () => {
    const shown = (await (await b.$('[data-testid="page-image"]')).getAttribute('src')).split('/').at(-3);
    const thuky = await server.api('thuky');
    const doc = (await thuky.changes()).find((c) => c.type === 'document' && c.versions.some((v) => v.sha256 === shown));
    const pdf = simplePdf('Ban sua doi');
    const sha = createHash('sha256').update(pdf).digest('hex');
    await thuky.put(`/api/v1/blobs/${sha}`, pdf, 'application/pdf');
    const r = await thuky.post('/api/v1/ops', {
      ops: [{ id: crypto.randomUUID(), op: { type: 'document.attach', document_id: doc.id, item_id: doc.item_id,
        title: doc.title, kind: doc.kind, classification: doc.classification, sha256: sha } }],
    });
    if (r.results[0].status !== 'accepted') throw new Error(JSON.stringify(r));
    await waitFor('the new-version notice', async () => (await $t(b, 'new-version')).isExisting(), 60000);
    if ((await inkStrokes(b)) !== 2) throw new Error('the strokes left the version they were drawn on');
    await (await $t(b, 'open-new-version')).click();
    await waitFor('the new version, without the old marks', async () =>
      !(await (await $t(b, 'new-version')).isExisting()) && (await inkStrokes(b)) === 0 &&
      (await (await b.$('[data-testid="page-image"]')).getAttribute('src')).includes(sha));
  });

  await step('removed from the meeting, the open document serves no more pages', async () => {
    const src = await (await b.$('[data-testid="page-image"]')).getAttribute('src');
    const sha = src.split('/').at(-3);
    // A page at a width not asked for before, so that no cached image answers.
    let width = 301;
    // (An image, as the viewer loads pages: the CSP lets no fetch reach the scheme.)
    const status = () =>
      b.executeAsync(
        (url, done) => {
          const img = new Image();
          img.onload = () => done(200);
          img.onerror = () => done(404);
          img.src = url;
        },
        src.replace(/\/\d+\/\d+$/, `/2/${width++}`),
      );
    const before = await status();
    if (before !== 200) throw new Error(`a page of the open document answered ${before}`);
    const thuky = await server.api('thuky');
    const changes = await thuky.changes();
    const doc = changes.find((c) => c.type === 'document' && c.versions.some((v) => v.sha256 === sha));
    const me = changes.find((c) => c.type === 'user' && c.username === 'daibieu01');
    const r = await thuky.post('/api/v1/ops', {
      ops: [{ id: crypto.randomUUID(), op: { type: 'member.remove', meeting_id: doc.meeting_id, user_id: me.id } }],
    });
    if (r.results[0].status !== 'accepted') throw new Error(JSON.stringify(r));
    await waitFor('the page scheme refusing the document', async () => (await status()) === 404, 60000);
    // Nor does the viewer keep showing it.
    await waitFor('the viewer saying the document is gone', async () => {
      const e = await $t(b, 'viewer-error');
      return (await e.isExisting()) && (await e.getAttribute('data-code')) === 'not_found';
    });
    const left = (await b.$$('[data-testid="page-image"]')).length;
    if (left !== 0) throw new Error(`${left} page images still shown`);
  });

  await step('an admin revokes this device: the app says so and forgets the session', async () => {
    const device = JSON.parse(readFileSync(join(data, 'device.json'), 'utf8'));
    await server.admin('device', 'revoke', '--id', device.id);
    // The live channel closes at its next heartbeat; the next round hears why.
    const err = await waitFor(
      'the login form saying the device was revoked',
      async () => {
        const e = await $t(b, 'login-error');
        return (await e.isExisting()) && (await e.getAttribute('data-code')) === 'device_revoked' ? e : null;
      },
      60000,
    );
    const text = await err.getText();
    if (text !== 'Thiết bị này đã bị thu hồi quyền truy cập. Dữ liệu cuộc họp trên máy này đã được xoá.') {
      throw new Error(`error text: ${text}`);
    }
    // What the device held of this server is gone from the disk.
    const profiles = join(data, 'profiles');
    const kept = existsSync(profiles) ? readdirSync(profiles) : [];
    if (kept.length > 0) throw new Error(`profiles left after the wipe: ${kept.join(', ')}`);
    await b.deleteSession();
    b = await driver.app(data);
    await waitFor('the login form after a restart', async () => (await $t(b, 'login-form')).isExisting());
    if (await (await $t(b, 'meeting-list')).isExisting()) throw new Error('the revoked session opened again');
  });
} catch {
  failed = true;
} finally {
  if (b) await b.deleteSession().catch(() => {});
  await driver.stop();
  await server.cleanup();
  rmSync(data, { recursive: true, force: true });
}

finish('e2e', failed);
