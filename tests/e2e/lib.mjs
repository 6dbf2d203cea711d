// Shared pieces of the end-to-end suite and the app benchmark: the real
// phonghop-server over a temp data dir, tauri-driver, and webdriverio sessions on the
// real app under Xvfb (DISPLAY is set by `cargo xtask e2e`).
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync } from 'node:fs';
import { createServer, Socket } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { remote } from 'webdriverio';

export const env = (name) => {
  const v = process.env[name];
  if (!v) throw new Error(`${name} is not set (run through cargo xtask)`);
  return v;
};

export const PASSWORD = 'phonghop-demo';
export const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export function freePort() {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

function run(cmd, args, input) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['pipe', 'ignore', 'inherit'] });
    p.on('error', reject);
    p.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`${cmd} ${args.join(' ')} exited ${code}`))));
    p.stdin.end(input ?? '');
  });
}

async function waitPort(port, ms = 30000) {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    const ok = await new Promise((resolve) => {
      const s = new Socket();
      s.once('connect', () => {
        s.destroy();
        resolve(true);
      });
      s.once('error', () => resolve(false));
      s.connect(port, '127.0.0.1');
    });
    if (ok) return;
    await sleep(100);
  }
  throw new Error(`nothing listens on ${port}`);
}

/** A small valid PDF of `pages` A4 pages, each saying `text` (ASCII). */
export function simplePdf(text, pages = 6) {
  const objs = ['<< /Type /Catalog /Pages 2 0 R >>', null, '<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>'];
  const kids = [];
  for (let i = 0; i < pages; i += 1) {
    const content = `BT /F1 24 Tf 72 720 Td (${text} - ${i + 1}) Tj ET`;
    objs.push(`<< /Length ${content.length} >>\nstream\n${content}\nendstream`);
    objs.push(`<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Resources << /Font << /F1 3 0 R >> >> /Contents ${objs.length} 0 R >>`);
    kids.push(`${objs.length} 0 R`);
  }
  objs[1] = `<< /Type /Pages /Kids [${kids.join(' ')}] /Count ${pages} >>`;
  let out = '%PDF-1.7\n';
  const offsets = objs.map((body, i) => {
    const at = out.length;
    out += `${i + 1} 0 obj\n${body}\nendobj\n`;
    return at;
  });
  const xref = out.length;
  out += `xref\n0 ${objs.length + 1}\n0000000000 65535 f \n`;
  for (const o of offsets) out += `${String(o).padStart(10, '0')} 00000 n \n`;
  out += `trailer\n<< /Size ${objs.length + 1} /Root 1 0 R >>\nstartxref\n${xref}\n%%EOF\n`;
  return Buffer.from(out, 'latin1');
}

/** The real server with the demo province, on its own port and temp data dir. */
export class DemoServer {
  constructor(bin, port, dir) {
    this.bin = bin;
    this.port = port;
    this.dir = dir;
    this.proc = null;
  }

  static async create() {
    const bin = env('PHONGHOP_SERVER_BIN');
    const dir = mkdtempSync(join(tmpdir(), 'phonghop-e2e-server-'));
    await run(bin, ['init', '--admin-password-stdin', '--data', dir], PASSWORD);
    await run(bin, ['seed-demo', '--data', dir]);
    return new DemoServer(bin, await freePort(), dir);
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async start() {
    this.proc = spawn(this.bin, ['serve', '--listen', `127.0.0.1:${this.port}`, '--data', this.dir], {
      stdio: ['ignore', 'ignore', 'ignore'],
    });
    await waitPort(this.port);
  }

  async stop() {
    if (!this.proc) return;
    const p = this.proc;
    this.proc = null;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([gone, sleep(5000).then(() => p.kill('SIGKILL'))]);
  }

  async cleanup() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  /** Runs an admin command of the server binary on this server's data directory. */
  async admin(...args) {
    await run(this.bin, [...args, '--data', this.dir]);
  }

  /** A plain HTTP client of the server's API, logged in as `user`. */
  async api(user) {
    const device = {
      id: '0190b0e0-0000-7000-8000-00000000e2e0',
      name: 'e2e',
      public_key: 'WGZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmZmY=',
    };
    const r = await fetch(`${this.url}/api/v1/sessions`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: user, password: PASSWORD, device }),
    });
    if (!r.ok) throw new Error(`login as ${user}: ${r.status}`);
    const { token } = await r.json();
    const headers = { authorization: `Bearer ${token}`, 'content-type': 'application/json' };
    const base = this.url;
    return {
      async changes() {
        const all = [];
        let since = 0;
        for (;;) {
          const page = await (await fetch(`${base}/api/v1/changes?since=${since}&limit=2000`, { headers })).json();
          all.push(...page.changes);
          since = page.cursor;
          if (!page.more) return all;
        }
      },
      async put(path, body, contentType) {
        const r = await fetch(`${base}${path}`, { method: 'PUT', headers: { ...headers, 'content-type': contentType }, body });
        if (!r.ok) throw new Error(`PUT ${path}: ${r.status} ${await r.text()}`);
        return r.json();
      },
      async post(path, body) {
        const r = await fetch(`${base}${path}`, { method: 'POST', headers, body: JSON.stringify(body) });
        if (!r.ok) throw new Error(`POST ${path}: ${r.status} ${await r.text()}`);
        return r.json();
      },
    };
  }
}

/** tauri-driver in front of WebKitWebDriver, on free ports. */
export class Driver {
  static async start() {
    const d = new Driver();
    d.port = await freePort();
    const nativePort = await freePort();
    d.proc = spawn(
      env('TAURI_DRIVER'),
      ['--port', String(d.port), '--native-port', String(nativePort), '--native-driver', process.env.WEBKIT_WEBDRIVER ?? '/usr/bin/WebKitWebDriver'],
      { stdio: ['ignore', 'ignore', process.env.PHONGHOP_E2E_VERBOSE ? 'inherit' : 'ignore'] },
    );
    // tauri-driver starts WebKitWebDriver beside it; a session asked for before that one
    // listens is dropped (UND_ERR_SOCKET), so wait for both.
    await waitPort(d.port);
    await waitPort(nativePort);
    return d;
  }

  /** A new app process, as a WebDriver session. */
  async app(dataDir) {
    return remote({
      hostname: '127.0.0.1',
      port: this.port,
      logLevel: 'error',
      connectionRetryCount: 0,
      capabilities: {
        'tauri:options': { application: env('PHONGHOP_APP_BIN'), args: ['--data-dir', dataDir] },
      },
    });
  }

  async stop() {
    const p = this.proc;
    const gone = new Promise((r) => p.once('exit', r));
    p.kill('SIGTERM');
    await Promise.race([gone, sleep(3000)]);
  }
}

/** A fresh app data dir (the client engine fetches the province's trust roots). */
export function appDataDir() {
  return mkdtempSync(join(tmpdir(), 'phonghop-e2e-app-'));
}

export const $t = (b, id) => b.$(`[data-testid="${id}"]`);

export async function waitFor(what, f, ms = 30000) {
  const deadline = Date.now() + ms;
  let last;
  while (Date.now() < deadline) {
    try {
      const v = await f();
      if (v) return v;
    } catch (e) {
      last = e;
    }
    await sleep(150);
  }
  throw new Error(`timed out waiting for ${what}${last ? `: ${last.message}` : ''}`);
}

/** A suite's named steps: each prints ok or FAIL with its time, and a failure stops the
 *  suite; `finish` prints the count and exits non-zero when anything failed. */
export function suite() {
  const results = [];
  async function step(name, f) {
    const t0 = Date.now();
    try {
      await f();
      results.push({ name, ok: true });
      console.log(`  ok   ${name} (${Date.now() - t0} ms)`);
    } catch (e) {
      results.push({ name, ok: false });
      console.log(`  FAIL ${name}: ${e.stack ?? e}`);
      throw e;
    }
  }
  function finish(label, failed) {
    const passed = results.filter((r) => r.ok).length;
    const failedCount = results.length - passed;
    console.log(`${label}: ${passed} passed, ${failedCount} failed`);
    process.exit(failed || failedCount > 0 ? 1 : 0);
  }
  return { step, finish };
}
