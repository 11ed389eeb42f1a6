// Session resume in the browser (docs/signaling-protocol.md, "Resume"). A TCP proxy the test controls sits
// between alice's page and signalbox and cuts her WebSocket mid-call, twice: a reset while the network stays
// away for a few seconds (the server parks her session, bob's page hears peer-reconnecting), then a black hole
// (neither end notices; her page's own keepalive does, and her resume takes the session over from the
// half-open connection). Each time the video keeps decoding on both pages, her page shows "Reconnecting…" and
// then "Connected" again with the same peer id, and bob's page never hears peer-left. Between the cuts, an ICE
// restart offer (a renegotiation) goes through her resumed session.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { startCutProxy } from './lib/cut-proxy.mjs';
import { uniqueRoom } from './lib/call-suite.mjs';
import {
  openCallPage, waitForState, waitConnected, waitMediaFlowing, readState, readStats, waitInPage,
} from './lib/page.mjs';

const OUTAGE_MS = 3000;

async function framesDecoded(page) {
  const stats = await readStats(page);
  return Object.values(stats).reduce((n, s) => n + (s.inbound.video?.framesDecoded || 0), 0);
}

function remoteUfrag(page, id) {
  return page.evaluate((peer) => /a=ice-ufrag:(\S+)/.exec(window.signalbox.pcs[peer]?.remoteDescription?.sdp || '')?.[1],
    id);
}

// Video keeps decoding on both pages: more frames now than at `before` (per page).
async function stillDecoding(pages, before, what) {
  for (const [i, page] of pages.entries()) {
    await waitMediaFlowing(page, { rounds: 1, timeout: 15000 });
    const now = await framesDecoded(page);
    assert.ok(now > before[i], `${what}: page ${i} decoded ${before[i]} → ${now} frames`);
  }
}

test('a cut WebSocket is resumed while the call goes on', { timeout: 180000 }, async (t) => {
  const server = await startServer();
  t.after(() => server.stop());
  const proxy = await startCutProxy({ targetHost: '127.0.0.1', targetPort: server.port });
  t.after(() => proxy.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const room = uniqueRoom('resume');
  const bob = await openCallPage(browser, server.url, { room, name: 'bob' });
  await waitForState(bob, 'in-call');
  // Alice joins second, so she offers (and restarts ICE); her page reaches signalbox only through the proxy.
  const alice = await openCallPage(browser, proxy.url, { room, name: 'alice' });
  const pages = [alice, bob];
  await Promise.all(pages.map((p) => waitConnected(p)));
  await Promise.all(pages.map((p) => waitMediaFlowing(p, { rounds: 1 })));
  const aliceId = (await readState(alice)).id;
  const bobId = (await readState(bob)).id;
  assert.equal(proxy.openWebSockets(), 1);

  // 1. A reset, and the network stays away for a while.
  let before = await Promise.all(pages.map(framesDecoded));
  proxy.down = true;
  assert.equal(proxy.cutWebSockets('reset'), 1);
  await waitForState(alice, 'reconnecting', 10000);
  assert.equal(await alice.locator('#status').textContent(), 'Reconnecting…');
  await waitInPage(bob, () => window.signalbox.received['peer-reconnecting'] === 1, null, 'peer-reconnecting', 10000);
  assert.equal(await bob.locator(`.tile.remote[data-peer="${aliceId}"] .conn`).textContent(), 'reconnecting');
  await stillDecoding(pages, before, 'during the outage');
  assert.equal(await alice.evaluate(() => window.signalbox.state), 'reconnecting', `outage shorter than ${OUTAGE_MS} ms`);
  await new Promise((r) => setTimeout(r, OUTAGE_MS));
  proxy.down = false;
  await waitForState(alice, 'in-call', 20000);
  assert.equal(await alice.locator('#status').textContent(), 'Connected');
  let a = await readState(alice);
  assert.equal(a.id, aliceId, 'the same peer in the same room');
  assert.equal(await alice.evaluate(() => window.signalbox.resumes), 1);
  await waitInPage(bob, () => window.signalbox.received['peer-resumed'] === 1, null, 'peer-resumed', 10000);
  assert.equal(await bob.locator(`.tile.remote[data-peer="${aliceId}"] .conn`).textContent(), 'connected');
  before = await Promise.all(pages.map(framesDecoded));
  await stillDecoding(pages, before, 'after the resume');

  // 2. A renegotiation through the resumed session: an ICE restart offer from alice, answered by bob.
  const ufrag = await remoteUfrag(bob, aliceId);
  const answers = await alice.evaluate(() => window.signalbox.received.answer || 0);
  await alice.evaluate((id) => window.signalbox.restartIce(id), bobId);
  await waitInPage(alice, (n) => (window.signalbox.received.answer || 0) === n + 1, answers, 'the answer', 15000);
  assert.notEqual(await remoteUfrag(bob, aliceId), ufrag, 'bob took new ICE credentials from the offer');
  await Promise.all(pages.map((p) => waitConnected(p)));
  before = await Promise.all(pages.map(framesDecoded));
  await stillDecoding(pages, before, 'after the ICE restart');

  // 3. A black hole: the server does not notice; alice's keepalive does, and her resume takes the session
  // over from the half-open connection (so bob hears nothing at all).
  before = await Promise.all(pages.map(framesDecoded));
  assert.equal(proxy.cutWebSockets('blackhole'), 1);
  await waitForState(alice, 'reconnecting', 20000);
  await waitInPage(alice, () => window.signalbox.resumes === 2 && window.signalbox.state === 'in-call', null,
    'the second resume', 20000);
  await stillDecoding(pages, before, 'across the black hole');
  a = await readState(alice);
  assert.equal(a.id, aliceId);

  const heard = await bob.evaluate(() => window.signalbox.received);
  assert.equal(heard['peer-left'], undefined, 'bob never heard peer-left');
  assert.equal(heard['peer-reconnecting'], 1, 'the half-open connection was never parked');
  assert.equal((await readState(bob)).peers[aliceId].left, false);
  assert.equal(await alice.evaluate(() => window.signalbox.resumeRefusals), 0);
});
