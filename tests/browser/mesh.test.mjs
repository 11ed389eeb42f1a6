// A mesh call: with --max-peers-per-room 3, three pages hold one RTCPeerConnection per remote peer, and
// each decodes video from both others. Also: a page whose camera is denied still joins and receives.
import assert from 'node:assert/strict';
import os from 'node:os';
import { test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { uniqueRoom } from './lib/call-suite.mjs';
import { openCallPage, waitForState, waitConnected, waitMediaFlowing, readState, waitForError } from './lib/page.mjs';

// Three pages encode and decode six streams in software: on a machine already saturated by other work this
// cannot finish in bounded time, so it says so (as a skip, counted in the summary) instead of failing.
const load = os.loadavg()[0];
const overloaded = load > 3 * os.cpus().length;

test('three pages in one room form a full mesh', {
  timeout: 90000,
  skip: overloaded && `machine overloaded (load ${load.toFixed(1)} on ${os.cpus().length} cores)`,
}, async (t) => {
  const server = await startServer({ args: ['--max-peers-per-room', '3'] });
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const room = uniqueRoom('mesh');
  const pages = [];
  for (const name of ['alice', 'bob', 'carol']) {
    // Six encoders and six decoders at once: the smallest useful picture.
    pages.push(await openCallPage(browser, server.url, { room, name, query: { video: '160x120@10' } }));
    await waitForState(pages.at(-1), 'in-call', 30000);
  }
  await Promise.all(pages.map((p) => waitConnected(p, 2, 30000)));
  // Three pages encode and decode two streams each on a shared 2-core machine: ask for a few frames only.
  await Promise.all(pages.map((p) => waitMediaFlowing(p, { rounds: 1, minFrames: 3, timeout: 30000 })));
  const ids = await Promise.all(pages.map(async (p) => (await readState(p)).id));
  for (const [i, page] of pages.entries()) {
    const others = ids.filter((_, j) => j !== i).sort();
    assert.deepEqual(await page.evaluate(() => Object.keys(window.signalbox.pcs).sort()), others);
    assert.equal(await page.locator('.tile.remote').count(), 2);
  }
});

test('camera denied: the page says so, joins anyway and receives the other side', { timeout: 60000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const room = uniqueRoom('denied');
  const sender = await openCallPage(browser, server.url, { room, name: 'sender' });
  await waitForState(sender, 'in-call');
  // What Chromium does when the user clicks "Block" (the fake-UI flag always allows, so deny in the page).
  const viewer = await openCallPage(browser, server.url, { room, name: 'viewer', initScript: () => {
    navigator.mediaDevices.getUserMedia = async () => {
      throw new DOMException('Permission denied', 'NotAllowedError');
    };
  } });
  await waitForError(viewer, 'camera-denied');
  assert.match(await viewer.locator('#error').textContent(), /denied/);
  await waitForState(viewer, 'in-call');
  await waitConnected(viewer, 1, 20000);
  await waitMediaFlowing(viewer, { rounds: 1, minFrames: 5 });
  assert.equal((await readState(viewer)).lastError.code, 'camera-denied', 'the camera error stays visible');
});
