// Relay-only calls through signalbox's own TURN server (issue 4): two Chromium pages with
// iceTransportPolicy 'relay' (`?relay=1`) and only the iceServers signalbox hands out in `joined`, over
// UDP and over TCP (`?transport=tcp`). Both pages must select a relay/relay pair relayed over that
// transport, decode video that keeps coming, and signalbox's /metrics must count at least the media
// bytes the pages received. With wrong credentials the call must fail and the page must say why.
//
// The server runs with the DEFAULT peer policy and a relay address that is not loopback (this host's first
// non-loopback IPv4 address, 192.0.2.2 on the dev machine): each page relays to the other's relayed address,
// which is the server's own, and the server hands the data from one allocation to the other (relay-to-relay,
// issue 10; docs/turn.md).
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { before, after, describe, it } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { startServer, REPO_ROOT } from './lib/server.mjs';
import { uniqueRoom } from './lib/call-suite.mjs';
import {
  openCallPage, closePage, waitForState, waitConnected, waitMediaFlowing, readState, readStats, waitInPage,
} from './lib/page.mjs';

const STEP = { timeout: 45000 };
const RELAY_IP = Object.values(os.networkInterfaces()).flat().find((a) => a.family === 'IPv4' && !a.internal)?.address;
if (!RELAY_IP) throw new Error('this host has no non-loopback IPv4 address; the relay tests need one');
const SERVER_ARGS = ['--stun-listen', '127.0.0.1:0', '--turn-relay-address', RELAY_IP, '--log-level', 'warn'];

async function turnMetrics(server) {
  const res = await fetch(`${server.url}/metrics`);
  assert.equal(res.status, 200);
  const text = await res.text();
  const value = (name, labels = '') => {
    const line = text.split('\n').find((l) => l.startsWith(`${name}${labels} `));
    assert.ok(line, `no ${name}${labels} in /metrics`);
    return Number(line.split(' ').pop());
  };
  return {
    toPeer: value('signalbox_turn_relayed_bytes_total', '{direction="client_to_peer"}'),
    toClient: value('signalbox_turn_relayed_bytes_total', '{direction="peer_to_client"}'),
    allocations: value('signalbox_turn_allocations_created_total'),
    badIntegrity: value('signalbox_turn_auth_failures_total', '{reason="bad_integrity"}'),
    localRelay: value('signalbox_turn_local_relay_packets_total'),
    deniedPeers: value('signalbox_turn_denied_peers_total'),
  };
}

// Media bytes (RTP payload, audio + video) received by the page from its one peer.
async function mediaBytes(page) {
  const stats = Object.values(await readStats(page));
  assert.equal(stats.length, 1);
  const { video, audio } = stats[0].inbound;
  return (video?.bytesReceived || 0) + (audio?.bytesReceived || 0);
}

// web/config.js has no DOM: loaded from its source text, as config.test.mjs does.
const { parseOptions, rtcConfiguration } = await import(`data:text/javascript,${encodeURIComponent(
  fs.readFileSync(path.join(REPO_ROOT, 'web/config.js'), 'utf8'))}`);

it('?transport= picks the server URL of that transport when its port differs', () => {
  const server = [{ urls: ['stun:192.0.2.1:40000', 'turn:192.0.2.1:40000?transport=udp',
    'turn:192.0.2.1:40001?transport=tcp'], username: 'u', credential: 'p' }];
  const config = (t) => rtcConfiguration(server, parseOptions(new URL(`http://h/?room=r&relay=1&transport=${t}`)));
  assert.deepEqual(config('tcp').iceServers[0].urls, ['stun:192.0.2.1:40000', 'turn:192.0.2.1:40001?transport=tcp']);
  assert.deepEqual(config('udp').iceServers[0].urls, ['stun:192.0.2.1:40000', 'turn:192.0.2.1:40000?transport=udp']);
  // A server that lists UDP only: its URL moves to TCP on the same port.
  const udpOnly = [{ urls: ['turn:192.0.2.1:3478'], username: 'u', credential: 'p' }];
  assert.deepEqual(rtcConfiguration(udpOnly, parseOptions(new URL('http://h/?room=r&transport=tcp'))).iceServers[0].urls,
    ['turn:192.0.2.1:3478?transport=tcp']);
});

describe('relay-only calls through signalbox TURN', () => {
  const ctx = {};

  before(async () => {
    ctx.server = await startServer({ args: SERVER_ARGS });
    ctx.browser = await launchBrowser();
  });

  after(async () => {
    if (ctx.browser) await ctx.browser.close().catch(() => {});
    if (ctx.server) await ctx.server.stop();
  });

  for (const transport of ['udp', 'tcp']) {
    it(`relays a call over TURN/${transport}: relay pair, video decoded, bytes counted`, STEP, async (t) => {
      const room = uniqueRoom(`relay-${transport}`);
      const query = { relay: '1', transport };
      const alice = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'alice', query });
      let bob = null;
      try {
        await waitForState(alice, 'in-call');
        const config = await alice.evaluate(() => window.signalbox.rtcConfig);
        assert.equal(config.iceTransportPolicy, 'relay');
        const turnUrls = config.iceServers.flatMap((s) => [].concat(s.urls)).filter((u) => u.startsWith('turn:'));
        const port = ctx.server.listening[`turn-${transport}`].split(':').pop();
        assert.deepEqual(turnUrls, [`turn:127.0.0.1:${port}?transport=${transport}`]);

        bob = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'bob', query });
        await Promise.all([waitConnected(alice), waitConnected(bob)]);
        for (const page of [alice, bob]) {
          const peer = Object.values((await readState(page)).peers).find((p) => !p.left);
          assert.equal(peer.pair.local, 'relay', JSON.stringify(peer.pair));
          assert.equal(peer.pair.remote, 'relay', JSON.stringify(peer.pair));
          assert.equal(peer.pair.relayProtocol, transport, JSON.stringify(peer.pair));
          const shown = await page.locator('.tile.remote .pair').textContent();
          assert.match(shown, new RegExp(`^relay ↔ relay .*relay over ${transport}`), shown);
        }

        // The server's counters cover the interval of the pages' readings (read before and after them).
        const m0 = await turnMetrics(ctx.server);
        const b0 = await mediaBytes(alice) + await mediaBytes(bob);
        await Promise.all([waitMediaFlowing(alice), waitMediaFlowing(bob)]);
        const b1 = await mediaBytes(alice) + await mediaBytes(bob);
        const m1 = await turnMetrics(ctx.server);
        const media = b1 - b0;
        assert.ok(media > 10000, `media bytes received: ${media}`);
        // Every media packet crosses the relay twice: out of one page's allocation to the other's relayed
        // address (client_to_peer), then from that relayed address to the other page (peer_to_client).
        assert.ok(m1.toPeer - m0.toPeer >= media, `client_to_peer +${m1.toPeer - m0.toPeer} < media ${media}`);
        assert.ok(m1.toClient - m0.toClient >= media, `peer_to_client +${m1.toClient - m0.toClient} < media ${media}`);
        // Both relayed addresses are the server's own: every packet went from one allocation to the other inside it.
        assert.ok(m1.localRelay > m0.localRelay, `local relay packets ${m0.localRelay} → ${m1.localRelay}`);
        assert.equal(m1.deniedPeers, 0);
        t.diagnostic(`media bytes received by both pages ${media}; relayed client_to_peer +${m1.toPeer - m0.toPeer}, ` +
          `peer_to_client +${m1.toClient - m0.toClient}`);
      } finally {
        await closePage(alice);
        if (bob) await closePage(bob);
      }
    });
  }

  it('an ICE server the browser refuses is reported, not swallowed', STEP, async () => {
    const room = uniqueRoom('relay-badurl');
    const query = { relay: '1', ice: 'turn:127.0.0.1:0?transport=udp', iceUser: 'u', icePass: 'p' };
    const alice = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'alice', query });
    let bob = null;
    try {
      await waitForState(alice, 'in-call');
      bob = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'bob', query });
      await waitInPage(bob, () => window.signalbox.lastError?.code === 'webrtc-error', null, 'a webrtc-error');
      const text = await bob.locator('#error').textContent();
      assert.match(text, /^Negotiation with alice failed: .*RTCPeerConnection.*port/i, text);
    } finally {
      await closePage(alice);
      if (bob) await closePage(bob);
    }
  });

  it('fails with wrong TURN credentials and the page says why', STEP, async (t) => {
    const room = uniqueRoom('relay-badcred');
    const port = ctx.server.listening['turn-udp'].split(':').pop();
    const query = { relay: '1', ice: `turn:127.0.0.1:${port}?transport=udp`, iceUser: '4102444800:mallory',
      icePass: 'not-the-password' };
    const before = await turnMetrics(ctx.server);
    const alice = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'alice', query });
    let bob = null;
    try {
      await waitForState(alice, 'in-call');
      bob = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'bob', query });
      for (const page of [alice, bob]) {
        await waitInPage(page, () => ['no-candidates', 'ice-failed'].includes(window.signalbox.lastError?.code), null,
          'a no-candidates or ice-failed error');
        assert.ok(await page.locator('#error').isVisible());
        const text = await page.locator('#error').textContent();
        assert.match(text, /^No relay candidate: the TURN server refused the credentials \(401 Unauthorized\)/, text);
        t.diagnostic(`page says: ${text}`);
      }
      const after = await turnMetrics(ctx.server);
      assert.equal(after.allocations, before.allocations);
      assert.ok(after.badIntegrity > before.badIntegrity, JSON.stringify({ before, after }));
    } finally {
      await closePage(alice);
      if (bob) await closePage(bob);
    }
  });
});
