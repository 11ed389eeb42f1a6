// The two-party call scenario, shared by the http and https variants (and later by STUN/TURN variants:
// pass serverArgs and page query options such as {relay: '1'}).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { before, after, it } from 'node:test';
import { launchBrowser } from './browser.mjs';
import { startServer, REPO_ROOT } from './server.mjs';
import {
  openCallPage, closePage, waitForState, waitForError, waitConnected, waitMediaFlowing, readState, waitInPage,
} from './page.mjs';

export const RESULTS_DIR = path.join(REPO_ROOT, 'tests/browser/test-results');
const PAIR_TYPES = ['host', 'srflx', 'prflx', 'relay'];
const STEP = { timeout: 60000 }; // a hung step fails alone, and the after() hook still stops everything

export function uniqueRoom(prefix = 'room') {
  return `${prefix}-${process.pid}-${Math.random().toString(36).slice(2, 8)}`;
}

export function twoPartyCallSuite({ serverArgs = [], secure = false, query = {}, expectPair = null,
  screenshot = null } = {}) {
  const ctx = {};
  const room = uniqueRoom();

  before(async () => {
    ctx.server = await startServer({ args: serverArgs });
    ctx.browser = await launchBrowser({ ignoreCertificateErrors: secure });
  });

  after(async () => {
    if (ctx.browser) await ctx.browser.close().catch(() => {});
    if (ctx.server) await ctx.server.stop();
  });

  it(`serves the page over ${secure ? 'https' : 'http'} and joins the room`, STEP, async () => {
    assert.equal(ctx.server.scheme, secure ? 'https' : 'http');
    ctx.alice = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'alice', query,
      ignoreHTTPSErrors: secure });
    await waitForState(ctx.alice, 'in-call');
    const s = await readState(ctx.alice);
    assert.match(s.id, /^[0-9a-f]{32}$/);
    assert.equal(await ctx.alice.evaluate(() => window.signalbox.options.signalingUrl.split(':')[0]),
      secure ? 'wss' : 'ws');
  });

  it('connects a second page and media flows both ways', STEP, async () => {
    ctx.bob = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'bob', query, ignoreHTTPSErrors: secure });
    await Promise.all([waitConnected(ctx.alice), waitConnected(ctx.bob)]);
    const [a, b] = await Promise.all([waitMediaFlowing(ctx.alice), waitMediaFlowing(ctx.bob)]);
    ctx.figures = { alice: a, bob: b };
  });

  it('shows the selected candidate pair type', STEP, async () => {
    for (const page of [ctx.alice, ctx.bob]) {
      const s = await readState(page);
      const peers = Object.values(s.peers).filter((p) => !p.left);
      assert.equal(peers.length, 1);
      const type = peers[0].pairType;
      assert.ok(PAIR_TYPES.includes(type), `pair type ${type}`);
      if (expectPair) assert.equal(type, expectPair);
      const shown = await page.locator('.tile.remote .pair').textContent();
      assert.ok(shown.startsWith(`${type} ↔ `), `tile shows "${shown}"`);
      assert.equal(await page.locator('.tile.remote .conn').textContent(), 'connected');
    }
    if (screenshot) {
      fs.mkdirSync(RESULTS_DIR, { recursive: true });
      await ctx.bob.screenshot({ path: path.join(RESULTS_DIR, screenshot) });
    }
  });

  it('mute microphone and camera off switch the local tracks', STEP, async () => {
    const tracks = () => ctx.alice.evaluate(() => window.signalbox.localStream.getTracks()
      .map((t) => `${t.kind}:${t.enabled}`).sort().join(' '));
    assert.equal(await tracks(), 'audio:true video:true');
    await ctx.alice.click('#mic-button');
    await ctx.alice.click('#camera-button');
    assert.equal(await tracks(), 'audio:false video:false');
    const s = await readState(ctx.alice);
    assert.equal(s.micMuted, true);
    assert.equal(s.cameraOff, true);
    assert.equal(await ctx.alice.locator('#mic-button').textContent(), 'Unmute microphone');
    assert.equal(await ctx.alice.locator('#camera-button').textContent(), 'Turn camera on');
    await ctx.alice.click('#mic-button');
    await ctx.alice.click('#camera-button');
    assert.equal(await tracks(), 'audio:true video:true');
  });

  it('turns a third page away with room-full and shows it', STEP, async () => {
    const carol = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'carol', query,
      ignoreHTTPSErrors: secure });
    try {
      await waitForError(carol, 'room-full');
      await waitForState(carol, 'room-full');
      assert.ok(await carol.locator('#error').isVisible());
      assert.match(await carol.locator('#error').textContent(), /is full/);
      assert.deepEqual(await carol.evaluate(() => Object.keys(window.signalbox.pcs)), []);
    } finally {
      await closePage(carol);
    }
    // The two in the call did not notice.
    for (const page of [ctx.alice, ctx.bob]) assert.equal((await readState(page)).state, 'in-call');
  });

  it('hang up: the other page shows that the peer left', STEP, async () => {
    await ctx.bob.click('#hangup-button');
    await waitForState(ctx.bob, 'ended');
    await waitInPage(ctx.alice, () => Object.values(window.signalbox.peers).some((p) => p.left && p.leftReason === 'bye'),
      null, 'peer-left with reason bye');
    assert.deepEqual(await ctx.alice.evaluate(() => Object.keys(window.signalbox.pcs)), []);
    assert.match(await ctx.alice.locator('#notice').textContent(), /bob hung up/);
    assert.equal(await ctx.alice.locator('.tile.remote').count(), 0);
  });
}
