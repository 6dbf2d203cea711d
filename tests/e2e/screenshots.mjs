// `cargo xtask screenshots`: every screen of the real app, saved into docs/screenshots
// (`screenshots.mjs OUT_DIR WxH`). Vietnamese first, then the English switch.
import { execFileSync } from 'node:child_process';
import { join } from 'node:path';
import { rmSync } from 'node:fs';
import { $t, appDataDir, DemoServer, Driver, PASSWORD, sleep, waitFor } from './lib.mjs';

const [out, size] = process.argv.slice(2);
process.env.PHONGHOP_WINDOW_SIZE = size;
const suffix = size === '1280x800' ? '' : `-${size}`;
const shot = async (b, name) => {
  await sleep(700);
  // The whole X screen (the window fills it): WebKitWebDriver's own screenshot hangs
  // under Xvfb without compositing.
  execFileSync('import', ['-window', 'root', join(out, `${name}${suffix}.png`)]);
  console.log(`  ${name}${suffix}.png`);
};

const server = await DemoServer.create();
await server.start();
const driver = await Driver.start();
const data = appDataDir();
let b = await driver.app(data);
try {
  await waitFor('login', async () => (await $t(b, 'login-form')).isExisting());
  await (await $t(b, 'server')).setValue(server.url);
  await (await $t(b, 'username')).setValue('daibieu01');
  await (await $t(b, 'password')).setValue('sai-mat-khau');
  await (await $t(b, 'login-submit')).click();
  await waitFor('error', async () => (await $t(b, 'login-error')).isExisting());
  await shot(b, 'login');
  await (await $t(b, 'password')).setValue(PASSWORD);
  await (await $t(b, 'login-submit')).click();
  await waitFor('meetings', async () => (await b.$('[data-testid="meeting"]')).isExisting());
  // Let the documents arrive.
  await waitFor('synced', async () => (await (await $t(b, 'status-bar')).getAttribute('data-online')) === 'true');
  await sleep(4000);
  await shot(b, 'meetings');
  await (await $t(b, 'tab-upcoming')).click();
  await shot(b, 'meetings-upcoming');
  await (await $t(b, 'tab-all')).click();
  await (await b.$('[data-testid="meeting"][data-when="today"]')).click();
  await waitFor('agenda', async () => (await b.$('[data-testid="agenda-item"]')).isExisting());
  await (await $t(b, 'note-text')).setValue('Đề nghị Sở Thông tin và Truyền thông làm rõ kinh phí đầu tư hạ tầng mạng không dây tại các phòng họp.');
  await (await $t(b, 'note-save')).click();
  await waitFor('all documents downloaded', async () => {
    for (const o of await b.$$('[data-testid="open-document"]')) if (!(await o.isEnabled())) return false;
    return true;
  }, 60000);
  await shot(b, 'meeting');
  const badge = await b.$('[data-testid="document"] [data-testid="signature-badge"]');
  await badge.click();
  await shot(b, 'signature');
  await badge.click();
  await (await b.$('[data-testid="open-document"]')).click();
  await waitFor('page', async () => (await b.$('[data-testid="page-image"]')).isExisting());
  await shot(b, 'viewer');
  await (await $t(b, 'search-input')).setValue('chinh quyen dien tu');
  await b.keys('Enter');
  await waitFor('hits', async () => (await $t(b, 'search-count')).isExisting());
  await shot(b, 'search');
  await (await $t(b, 'search-clear')).click();
  await (await $t(b, 'page-input')).setValue('1');
  await b.keys('Enter');
  await (await $t(b, 'tool-pen')).click();
  const layer = await b.$('[data-testid="page"][data-page="1"] [data-testid="page-layer"]');
  await b
    .action('pointer')
    .move({ origin: layer, x: -150, y: 40 })
    .down()
    .move({ origin: layer, x: -60, y: 60, duration: 120 })
    .move({ origin: layer, x: 40, y: 45, duration: 120 })
    .move({ origin: layer, x: 130, y: 70, duration: 120 })
    .up()
    .perform();
  await (await $t(b, 'tool-highlight')).click();
  await b
    .action('pointer')
    .move({ origin: layer, x: -200, y: -90 })
    .down()
    .move({ origin: layer, x: 150, y: -90, duration: 150 })
    .up()
    .perform();
  await (await $t(b, 'tool-sticky')).click();
  await b.action('pointer').move({ origin: layer, x: 220, y: -150 }).down().up().perform();
  await waitFor('sticky editor', async () => (await $t(b, 'sticky-text')).isExisting());
  await (await $t(b, 'sticky-text')).setValue('Cần bổ sung số liệu so sánh với năm 2025');
  await (await $t(b, 'sticky-save')).click();
  await (await $t(b, 'tool-read')).click();
  await shot(b, 'annotations');
  await (await $t(b, 'viewer-back')).click();
  await (await $t(b, 'back')).click();
  await (await $t(b, 'lang-en')).click();
  await shot(b, 'meetings-en');
  await (await $t(b, 'lang-vi')).click();
  await b.deleteSession();
  await server.stop();
  b = await driver.app(data);
  await waitFor('meetings offline', async () => (await b.$('[data-testid="meeting"]')).isExisting());
  await waitFor('offline', async () => (await (await $t(b, 'status-bar')).getAttribute('data-online')) === 'false');
  await shot(b, 'offline');
} finally {
  if (b) await b.deleteSession().catch(() => {});
  await driver.stop();
  await server.cleanup();
  rmSync(data, { recursive: true, force: true });
}
