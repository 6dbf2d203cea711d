// Real browsers through the real server: headless Chromium with fake camera and
// microphone join a meeting's video room on the PhòngHọp server at $PHONGHOP_URL
// (seeded with the demo province; `cargo xtask test` starts it). Run with
// `npm test` in this folder.
import { test, before, after } from "node:test";
import assert from "node:assert/strict";
import crypto from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { chromium } from "playwright-core";

const BASE = process.env.PHONGHOP_URL;
const PASSWORD = "phonghop-demo";
const FLAGS = [
  "--use-fake-device-for-media-stream",
  "--use-fake-ui-for-media-stream",
  "--allow-loopback-in-peer-connection",
  "--headless",
  "--no-sandbox",
  "--disable-gpu",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
  "--no-first-run",
];
const browsers = [];

async function login(username) {
  const { publicKey } = crypto.generateKeyPairSync("ed25519");
  const raw = Buffer.from(publicKey.export({ format: "jwk" }).x, "base64url").toString("base64");
  const r = await fetch(`${BASE}/api/v1/sessions`, {
    method: "POST",
    headers: { "content-type": "application/json" },
    body: JSON.stringify({
      username,
      password: PASSWORD,
      device: { id: crypto.randomUUID(), name: "chromium video test", public_key: raw },
    }),
  });
  assert.equal(r.status, 201, `login ${username}`);
  return (await r.json()).token;
}

async function api(token, method, p, body) {
  const r = await fetch(`${BASE}${p}`, {
    method,
    headers: { authorization: `Bearer ${token}`, "content-type": "application/json" },
    body: body ? JSON.stringify(body) : undefined,
  });
  return { status: r.status, body: await r.json().catch(() => null) };
}

async function meetings(token) {
  const { body } = await api(token, "GET", "/api/v1/changes?since=0&limit=5000");
  return body.changes.filter((c) => c.type === "meeting").sort((a, b) => a.starts_at.localeCompare(b.starts_at));
}

async function browser(name) {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), `phonghop-chromium-${name}-`));
  const ctx = await chromium.launchPersistentContext(dir, {
    executablePath: "/usr/bin/chromium",
    headless: true,
    args: FLAGS,
    permissions: ["camera", "microphone"],
  });
  browsers.push({ ctx, dir });
  const page = ctx.pages()[0] || (await ctx.newPage());
  page.on("pageerror", (e) => console.error(`[${name}] page error: ${e.message}`));
  return page;
}

async function open(page, url) {
  await page.goto(url);
  await page.waitForFunction(() => document.getElementById("status").textContent.includes("Sẵn sàng"), null, { timeout: 60000 });
  await page.click("#join");
}

async function until(what, fn, timeout = 90000) {
  const end = Date.now() + timeout;
  let last;
  while (Date.now() < end) {
    last = await fn();
    if (last) return last;
    await new Promise((r) => setTimeout(r, 250));
  }
  assert.fail(`timed out waiting for ${what} (last: ${JSON.stringify(last)})`);
}

const inbound = (page, kind) =>
  page.evaluate(async (kind) => {
    const s = window.phonghop.sub;
    const out = { framesDecoded: 0, packetsReceived: 0 };
    if (!s) return out;
    (await s.getStats()).forEach((r) => {
      if (r.type === "inbound-rtp" && r.kind === kind) {
        out.framesDecoded += r.framesDecoded || 0;
        out.packetsReceived += r.packetsReceived || 0;
      }
    });
    return out;
  }, kind);

let chairToken, delegateToken, outsiderToken, today, nextWeek;

before(async () => {
  assert.ok(BASE, "set PHONGHOP_URL to a server seeded with the demo province");
  chairToken = await login("chutoa");
  delegateToken = await login("daibieu01");
  outsiderToken = await login("daibieu15");
  const ms = await meetings(chairToken);
  today = ms[1];
  nextWeek = ms[ms.length - 1];
});

after(async () => {
  for (const { ctx, dir } of browsers) {
    await ctx.close().catch(() => {});
    fs.rmSync(dir, { recursive: true, force: true });
  }
});

test("two members see each other, the chair mutes, a guest joins, leaving cleans up", async () => {
  const chair = await browser("chair");
  const delegate = await browser("delegate");
  await open(chair, `${BASE}/video/meeting/${today.id}#access_token=${chairToken}`);
  await open(delegate, `${BASE}/video/meeting/${today.id}#access_token=${delegateToken}`);

  // Each decodes the other's video.
  await until("the delegate decoding the chair", async () => (await inbound(delegate, "video")).framesDecoded > 0);
  await until("the chair decoding the delegate", async () => (await inbound(chair, "video")).framesDecoded > 0);
  await until("the chair hearing the delegate", async () => (await inbound(chair, "audio")).packetsReceived > 20);
  const delegateId = await delegate.evaluate(() => window.phonghop.me);
  assert.equal(await chair.evaluate(() => window.phonghop.role), "chair");
  fs.mkdirSync(path.join(os.tmpdir(), "phonghop-video"), { recursive: true });
  await chair.screenshot({ path: path.join(os.tmpdir(), "phonghop-video", "chair.png") });

  // The chair mutes the delegate's microphone: the delegate is told and the SFU stops
  // forwarding it, whatever the delegate's browser does.
  await chair.click(`.tile[data-stream^="${delegateId}"] button.mute`);
  await until("the delegate told", () => delegate.evaluate(() => window.phonghop.mutedByChair === true && window.phonghop.micTrack.enabled === false));
  await until("the muted badge", () =>
    chair.evaluate((id) => getComputedStyle(document.querySelector(`.tile[data-stream^="${id}"] .badge`)).display !== "none", delegateId),
  );
  await new Promise((r) => setTimeout(r, 700));
  const before = (await inbound(chair, "audio")).packetsReceived;
  await new Promise((r) => setTimeout(r, 1500));
  assert.equal((await inbound(chair, "audio")).packetsReceived, before, "audio kept arriving after the chair's mute");
  assert.ok((await inbound(chair, "video")).framesDecoded > 0, "video is untouched");

  // A guest without an account, from an invitation link.
  const inv = await api(chairToken, "POST", `/api/v1/meetings/${today.id}/video/invitations`, { name: "Bà Lê Thị Khách — UBND xã" });
  assert.equal(inv.status, 201);
  const guest = await browser("guest");
  await guest.goto(`${BASE}${inv.body.url}`);
  await until("the guest page showing the meeting", () => guest.evaluate((t) => document.getElementById("title").textContent.includes(t), today.title));
  await guest.click("#join");
  await until("the guest decoding video", async () => (await inbound(guest, "video")).framesDecoded > 0);
  await until("the chair listing the guest", () =>
    chair.evaluate(() => [...window.phonghop.people.values()].some((p) => p.name === "Bà Lê Thị Khách — UBND xã" && p.role === "guest")),
  );
  await guest.click("#leave");

  // Leaving: the others drop the tiles; the room empties.
  await delegate.click("#leave");
  await until("the delegate's tile gone", () => chair.evaluate((id) => !document.querySelector(`.tile[data-stream^="${id}"]`), delegateId));
  await until("the room down to the chair", async () => {
    const r = await api(chairToken, "GET", `/api/v1/meetings/${today.id}/video`);
    return r.body.participants.length === 1;
  });
  await chair.click("#leave");
  await until("an empty room", async () => {
    const r = await api(chairToken, "GET", `/api/v1/meetings/${today.id}/video`);
    return r.body.participants.length === 0;
  });
});

test("a non-member is refused", async () => {
  const page = await browser("outsider");
  await open(page, `${BASE}/video/meeting/${nextWeek.id}#access_token=${outsiderToken}`);
  await until("the refusal", () => page.evaluate(() => window.phonghop.errors.some((e) => e.code === "forbidden")));
  const text = await page.textContent("#status");
  assert.match(text, /không có quyền/);
  assert.equal(await page.evaluate(() => window.phonghop.joined), false);
  const r = await api(outsiderToken, "GET", `/api/v1/meetings/${nextWeek.id}/video`);
  assert.equal(r.status, 403);
});
