// The live meeting end to end (`cargo xtask e2e`, after run.mjs): three real app
// processes under Xvfb against the real server with the demo province — the chair
// (chutoa) and two delegates (daibieu01, daibieu02). The delegates check in; one asks
// to speak and the chair gives the floor; the chair opens a vote from the console; both
// delegates vote from their apps and see the poll arrive without any refresh; the
// projector window shows the live counts, then the result once the chair closes it; the
// delegate with the floor presents a document and the other's viewer follows the pages.
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import { $t, appDataDir, DemoServer, Driver, PASSWORD, sleep, suite, waitFor } from './lib.mjs';

// `cargo xtask screenshots` sets these: the screens of the live meeting, as each
// webview paints them (the windows overlap on one X display).
const SHOTS = process.env.PHONGHOP_SHOTS;
const SUFFIX = process.env.PHONGHOP_WINDOW_SIZE && process.env.PHONGHOP_WINDOW_SIZE !== '1280x800' ? `-${process.env.PHONGHOP_WINDOW_SIZE}` : '';
async function shot(b, name) {
  if (!SHOTS) return;
  await sleep(700);
  await b.saveScreenshot(join(SHOTS, `${name}${SUFFIX}.png`));
  console.log(`  ${name}${SUFFIX}.png`);
}

const QUESTION = 'Thông qua dự thảo Nghị quyết về kế hoạch đầu tư công năm 2027';

const { step, finish } = suite();

async function login(b, url, username) {
  await waitFor('the login form', async () => (await $t(b, 'login-form')).isExisting());
  await (await $t(b, 'server')).setValue(url);
  await (await $t(b, 'username')).setValue(username);
  await (await $t(b, 'password')).setValue(PASSWORD);
  await (await $t(b, 'login-submit')).click();
  await waitFor('the meeting list', async () => (await $t(b, 'meeting-list')).isExisting());
  await (await waitFor('today', async () => {
    const m = await b.$('[data-testid="meeting"][data-when="today"]');
    return (await m.isExisting()) ? m : null;
  })).click();
  await waitFor('the live panel', async () => (await $t(b, 'live-panel')).isExisting(), 60000);
}

async function click(b, selector, what) {
  const e = await waitFor(what, async () => {
    const el = await b.$(selector);
    return (await el.isExisting()) && (await el.isEnabled()) ? el : null;
  }, 60000);
  await e.click();
}

/** The vote counts per option as the element shows them. */
async function counts(scope) {
  const out = [];
  for (const o of await scope.$$('[data-testid="poll-option"]')) out.push(Number(await o.getAttribute('data-votes')));
  return out.join(',');
}

const server = await DemoServer.create();
const drivers = [];
const dirs = [];
const apps = {};
let failed = false;

try {
  await server.start();
  for (const who of ['chutoa', 'daibieu01', 'daibieu02']) {
    const d = await Driver.start();
    drivers.push(d);
    const dir = appDataDir();
    dirs.push(dir);
    apps[who] = await d.app(dir);
  }
  const { chutoa: chair, daibieu01: d1, daibieu02: d2 } = apps;

  await step('the chair and two delegates sign in and open today\'s meeting', async () => {
    await Promise.all([login(chair, server.url, 'chutoa'), login(d1, server.url, 'daibieu01'), login(d2, server.url, 'daibieu02')]);
  });

  await step('the delegates check in', async () => {
    await click(d1, '[data-testid="check-in-room"]', 'check-in at d1');
    await click(d2, '[data-testid="check-in-remote"]', 'check-in at d2');
    // A refusal shown on the panel is the reason a wait below times out: name it.
    const state = async (b, want) => {
      const err = await $t(b, 'live-error');
      if (await err.isExisting()) throw new Error(`the panel says: ${await err.getText()}`);
      const now = await (await $t(b, 'my-attendance')).getAttribute('data-state');
      if (now !== want) throw new Error(`attendance is ${now}`);
      return true;
    };
    await waitFor('d1 checked in', () => state(d1, 'in_room'));
    await waitFor('d2 checked in', () => state(d2, 'remote'));
  });

  await step('the chair opens the console and the projector window', async () => {
    await click(chair, '[data-testid="open-console"]', 'the console button');
    await waitFor('the console', async () => (await $t(chair, 'console')).isExisting());
    await waitFor('two delegates present on the console', async () => (await (await $t(chair, 'console-attendance')).getText()).includes('Tại phòng: 1'));
    await click(chair, '[data-testid="set-current"]', 'the first item');
    await waitFor('d1 sees the current item', async () => (await $t(d1, 'live-current-item')).isExisting());
    await click(chair, '[data-testid="console-projector"]', 'the projector button');
    await waitFor('a second window', async () => (await chair.getWindowHandles()).length === 2);
  });

  await step('a delegate asks to speak; the chair gives the floor; everyone sees it', async () => {
    await click(d1, '[data-testid="request-speak"]', 'ask to speak');
    await waitFor('d1 has place 1', async () => (await (await $t(d1, 'my-request')).getText()).includes('thứ 1'));
    await click(chair, '[data-testid="grant"]', 'give the floor');
    await waitFor('d1 has the floor', async () => (await $t(d1, 'my-floor')).isExisting());
    await waitFor('d2 sees the speaker', async () => (await (await $t(d2, 'live-speaker')).getText()).includes('Trương Minh Đức'));
  });

  await step('the chair opens a vote; both delegates vote from their apps', async () => {
    await (await $t(chair, 'poll-question')).setValue(QUESTION);
    await click(chair, '[data-testid="poll-create"]', 'create the poll');
    for (const [b, choice] of [
      [d1, 0],
      [d2, 1],
    ]) {
      const poll = await waitFor('the open poll, pushed live', async () => {
        const p = await $t(b, 'open-poll');
        return (await p.isExisting()) ? p : null;
      });
      if (!(await poll.getText()).includes(QUESTION)) throw new Error('another poll is open');
      // A mis-tap is not a vote: the other option first, then this one, then the confirmation.
      await click(b, `[data-testid="open-poll"] [data-testid="vote-option"][data-index="${1 - choice}"]`, 'the other option');
      await click(b, `[data-testid="open-poll"] [data-testid="vote-option"][data-index="${choice}"]`, 'an option');
      const confirm = await $t(b, 'vote-confirm');
      if (!(await confirm.getText()).includes(choice === 0 ? 'Tán thành' : 'Không tán thành')) {
        throw new Error(`confirming: ${await confirm.getText()}`);
      }
      if (await (await $t(b, 'my-vote')).isExisting()) throw new Error('voted before the confirmation');
      await click(b, '[data-testid="vote-confirm"]', 'the confirmation');
    }
    for (const b of [d1, d2]) {
      await waitFor('the ballot acknowledged', async () => (await (await $t(b, 'my-vote')).getAttribute('data-pending')) === 'false', 60000);
    }
    await waitFor('the chair sees both ballots', async () => (await counts(await $t(chair, 'console-poll'))).startsWith('1,1,0'));
    await shot(d1, 'live-delegate');
    await shot(chair, 'live-console');
  });

  let projector = null;
  await step('the projector window shows the live counts', async () => {
    const main = await chair.getWindowHandle();
    const handles = await chair.getWindowHandles();
    projector = handles.find((h) => h !== main);
    await chair.switchToWindow(projector);
    await waitFor('the projector view', async () => (await $t(chair, 'projector')).isExisting());
    await waitFor('1 / 1 / 0 on the projector', async () => (await counts(await $t(chair, 'projector-poll'))) === '1,1,0');
    if (!(await (await $t(chair, 'projector-speaker')).getText()).includes('Trương Minh Đức')) throw new Error('no speaker on the projector');
    await chair.switchToWindow(main);
  });

  await step('the chair closes the vote: the projector shows the result', async () => {
    await click(chair, '[data-testid="poll-close"]', 'close the poll');
    if ((await (await $t(chair, 'console-poll')).getAttribute('data-status')) !== 'open') throw new Error('closed before the confirmation');
    await click(chair, '[data-testid="poll-close-confirm"]', 'confirm closing it');
    await chair.switchToWindow(projector);
    const verdict = await waitFor('the verdict', async () => {
      const v = await $t(chair, 'poll-verdict');
      return (await v.isExisting()) ? v : null;
    });
    // A resolution needs more than half of ALL members: 1 of the meeting's members is not enough.
    if ((await verdict.getAttribute('data-passed')) !== 'false') throw new Error('passed with one vote in favour');
    if ((await verdict.getText()) !== 'KHÔNG THÔNG QUA') throw new Error(`verdict: ${await verdict.getText()}`);
    if ((await counts(await $t(chair, 'projector-poll'))) !== '1,1,0') throw new Error('counts changed at the close');
    await shot(chair, 'projector');
    await waitFor('d1 sees the result', async () => (await (await $t(d1, 'closed-poll')).getText()).includes('KHÔNG THÔNG QUA'));
  });

  await step('the speaker presents a document; a follower\'s viewer goes to the page shown', async () => {
    await click(d1, '[data-testid="open-document"]', 'a downloaded document');
    await waitFor('the first page', async () => (await $t(d1, 'page-image')).isExisting());
    await click(d1, '[data-testid="present-toggle"]', 'present to the room');
    await (await $t(d1, 'page-input')).setValue('3');
    await d1.keys('Enter');
    await click(d2, '[data-testid="follow-presenter"]', '"Xem cùng" at d2');
    await waitFor('d2 on page 3', async () => (await (await $t(d2, 'scroller')).getAttribute('data-current-page')) === '3');
    await (await $t(d1, 'page-input')).setValue('2');
    await d1.keys('Enter');
    await waitFor('d2 follows to page 2', async () => (await (await $t(d2, 'scroller')).getAttribute('data-current-page')) === '2');
  });

  await step('the speaker leaves the viewer: the presentation ends for the room', async () => {
    await click(d2, '[data-testid="viewer-back"]', 'back at d2');
    await waitFor('d2 sees the presentation', async () => (await $t(d2, 'live-presentation')).isExisting());
    await click(d1, '[data-testid="viewer-back"]', 'back at d1');
    await waitFor('the presentation gone at d2', async () => !(await (await $t(d2, 'live-presentation')).isExisting()));
  });

  await step('the speaker signs out while presenting: the presentation ends for the room', async () => {
    await click(d1, '[data-testid="open-document"]', 'the document again');
    await waitFor('the first page', async () => (await $t(d1, 'page-image')).isExisting());
    await click(d1, '[data-testid="present-toggle"]', 'present to the room');
    await waitFor('d2 sees the presentation', async () => (await $t(d2, 'live-presentation')).isExisting());
    await click(d1, '[data-testid="logout"]', 'sign out at d1');
    if (await (await $t(d1, 'logout-pending')).isExisting()) await click(d1, '[data-testid="logout-anyway"]', 'sign out anyway');
    await waitFor('d1 at the login screen', async () => (await $t(d1, 'login-form')).isExisting());
    await waitFor('the presentation gone at d2', async () => !(await (await $t(d2, 'live-presentation')).isExisting()));
  });

  await step('the chair signs out: the projector window closes', async () => {
    const main = (await chair.getWindowHandles()).find((h) => h !== projector);
    await chair.switchToWindow(main);
    await click(chair, '[data-testid="logout"]', 'sign out');
    await waitFor('one window left', async () => (await chair.getWindowHandles()).length === 1);
  });
} catch {
  failed = true;
} finally {
  for (const b of Object.values(apps)) await b.deleteSession().catch(() => {});
  for (const d of drivers) await d.stop();
  await server.cleanup();
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
}

finish('e2e live', failed);
