// Native ↔ Chromium (issue 5): `signalbox-client` (GStreamer webrtcbin) and the web client page in one room
// through a real signalbox, in both orders, so each side is once the offerer (the newcomer offers). Both
// sides must decode the other's VP8 video and Opus audio, checked on each side: on the page from getStats
// (framesDecoded keeps rising, audio samples arrive, codecs are VP8 and opus), in the native client from its
// `event frames-decoded V audio-buffers A` and `event stats ...` lines. SIGTERM then makes the native client
// send `bye` (the page shows the peer left) and exit 0.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_BIN, chromiumFlags } from './lib/browser.mjs';
import { uniqueRoom } from './lib/call-suite.mjs';
import { CLIENT_BIN, clientBinaryExists, startNativeClient } from './lib/native-client.mjs';
import {
  closePage, openCallPage, readState, waitConnected, waitForState, waitInPage, waitMediaFlowing,
} from './lib/page.mjs';
import { startServer } from './lib/server.mjs';

// Modest goals that still prove media is decoded, not just received: on a loaded 2-core machine the
// software VP8 encoders of both sides run at a few frames a second.
const MIN_FRAMES = 20;
const MEDIA_TIMEOUT_MS = 60000;
const STEP = { timeout: 120000 }; // a hung scenario fails alone; the after() hook still stops everything

// The page's test video is 320x240@15 (lib/page.mjs); the native client sends the same.
function nativeArgs(server, room) {
  return ['--server', `ws://${server.hostPort}/ws`, '--room', room, '--name', 'native', '--sink', 'fake',
    '--stats', '--width', '320', '--height', '240', '--fps', '15', '--video-kbps', '300',
    '--ice-timeout', '60', '--timeout', '150'];
}

// libnice cannot resolve the mDNS `.local` host candidates Chromium hands out when it hides local
// addresses; a page that got camera permission shows real ones anyway, this makes it independent of that.
// Chromium honours the last --disable-features switch, so this one may drop playwright's own list (features
// that only cause background requests or UI); the browser lib is shared, hence a launcher of our own.
async function launchForNative() {
  return chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: [...chromiumFlags(), '--disable-features=WebRtcHideLocalIpsWithMdns'],
    timeout: 30000,
  });
}

// The codecs of the page's inbound streams, e.g. {video: 'video/vp8', audio: 'audio/opus'}.
function inboundCodecs(page) {
  return page.evaluate(async () => {
    const out = {};
    for (const pc of Object.values(window.signalbox.pcs)) {
      const report = await pc.getStats();
      report.forEach((s) => {
        // MIME types are case-insensitive; the answerer echoes the offerer's spelling (OPUS from GStreamer).
        if (s.type === 'inbound-rtp' && s.codecId) out[s.kind] = report.get(s.codecId)?.mimeType?.toLowerCase();
      });
    }
    return out;
  });
}

const FRAMES_RE = /^event frames-decoded (\d+) audio-buffers (\d+)$/;

// The native side decodes video frames and audio buffers, and keeps decoding: a later report is higher.
async function nativeDecodes(client) {
  const first = await client.waitEvent(FRAMES_RE, {
    timeout: MEDIA_TIMEOUT_MS, what: `${MIN_FRAMES} decoded video frames and audio buffers`,
    accept: (m) => Number(m[1]) >= MIN_FRAMES && Number(m[2]) >= MIN_FRAMES,
  });
  const [v0, a0] = [Number(first[1]), Number(first[2])];
  const later = await client.waitEvent(FRAMES_RE, {
    timeout: MEDIA_TIMEOUT_MS, what: `video and audio still decoding after ${v0}/${a0}`,
    accept: (m) => Number(m[1]) > v0 && Number(m[2]) > a0,
  });
  // --stats agrees: connected over a selected pair, decoding.
  const statsRe = /^event stats state=(\S+) pair=(\S+)\/(\S+) .* frames-decoded=(\d+) audio-buffers=(\d+)/;
  const stats = await client.waitEvent(statsRe, {
    timeout: 10000, what: 'a connected --stats line with frames decoded',
    accept: (m) => m[1] === 'connected' && m[2] !== '-' && Number(m[4]) > 0 && Number(m[5]) > 0,
  });
  return { video: Number(later[1]), audio: Number(later[2]), pair: `${stats[2]}/${stats[3]}` };
}

async function pageDecodes(page, nativeId) {
  await waitConnected(page, 1, MEDIA_TIMEOUT_MS);
  const { last } = await waitMediaFlowing(page,
    { rounds: 2, minFrames: MIN_FRAMES / 2, timeout: MEDIA_TIMEOUT_MS });
  const inbound = last[nativeId]?.inbound;
  assert.ok(inbound, `the page has stats for the native peer ${nativeId}: ${JSON.stringify(last)}`);
  assert.ok(inbound.video.framesDecoded >= MIN_FRAMES, `page decoded ${inbound.video.framesDecoded} frames`);
  assert.ok(inbound.audio.totalSamplesReceived > 0, `page received ${inbound.audio.totalSamplesReceived} samples`);
  assert.deepEqual(await inboundCodecs(page), { video: 'video/vp8', audio: 'audio/opus' });
  return inbound;
}

// Both sides decode each other's media; the page's view of the native peer says who offered (the newcomer);
// then the client is stopped with SIGTERM (stopNative's checks).
async function mediaBothWaysThenStop({ label, t0, page, client, nativeId, pageOffered }) {
  const [onPage, native] = await Promise.all([pageDecodes(page, nativeId), nativeDecodes(client)]);
  const peer = (await readState(page)).peers[nativeId];
  assert.equal(peer.initiator, pageOffered,
    pageOffered ? 'the page (the newcomer) offered' : 'the native client (the newcomer) offered');
  assert.equal(peer.name, 'native');
  console.log(`${label}: media both ways after ${Date.now() - t0} ms; page decoded ` +
    `${onPage.video.framesDecoded} frames, ${onPage.audio.totalSamplesReceived} samples; native decoded ` +
    `${native.video} frames, ${native.audio} audio buffers over ${native.pair}`);
  await stopNative(client, page, nativeId);
}

// SIGTERM: the native client sends bye, the page is told, the client exits 0.
async function stopNative(client, page, nativeId) {
  const { code, signal } = await client.stop('SIGTERM');
  assert.equal(signal, null, `signalbox-client was killed by ${signal}\n${client.describe()}`);
  assert.equal(code, 0, `signalbox-client exit code\n${client.describe()}`);
  await client.waitEvent(/^event exit 0 ok$/, { timeout: 1000 });
  await waitInPage(page, (id) => window.signalbox.peers[id]?.leftReason === 'bye', nativeId,
    'peer-left bye from the native client');
}

// Without the client (SIGNALBOX_CLIENT=OFF) every test is skipped, and counted as skipped.
const SKIP = !clientBinaryExists() && `signalbox-client not built (${CLIENT_BIN})`;

describe('native client ↔ Chromium page', () => {
  const ctx = { clients: [], pages: [] };

  before(async () => {
    if (SKIP) return;
    // Host candidates suffice on one machine; no STUN/TURN ports to collide with other suites.
    ctx.server = await startServer({ args: ['--no-stun', '--no-turn'] });
    ctx.browser = await launchForNative();
  });

  after(async () => {
    for (const c of ctx.clients) await c.stop('SIGKILL');
    for (const p of ctx.pages) await closePage(p);
    if (ctx.browser) await ctx.browser.close().catch(() => {});
    if (ctx.server) await ctx.server.stop();
  });

  const open = async (room) => {
    const page = await openCallPage(ctx.browser, ctx.server.url, { room, name: 'web' });
    ctx.pages.push(page);
    return page;
  };
  const spawnNative = (room) => {
    const client = startNativeClient(nativeArgs(ctx.server, room));
    ctx.clients.push(client);
    return client;
  };

  it('native first, then the page: the page offers; media decoded both ways', { ...STEP, skip: SKIP }, async () => {
    const room = uniqueRoom('native-first');
    const t0 = Date.now();
    const client = spawnNative(room);
    const joined = await client.waitEvent(/^event joined ([0-9a-f]{32}) \S+ peers=0$/, { what: 'joined, alone' });
    const nativeId = joined[1];
    const page = await open(room);
    await waitForState(page, 'in-call');
    const pageId = (await readState(page)).id;
    await client.waitEvent(new RegExp(`^event peer ${pageId} answerer$`), { what: 'answerer for the page' });
    await client.waitEvent(/^event local-description answer$/);
    await mediaBothWaysThenStop({ label: 'native-first', t0, page, client, nativeId, pageOffered: true });
  });

  it('the page first, then native: native offers; media decoded both ways', { ...STEP, skip: SKIP }, async () => {
    const room = uniqueRoom('page-first');
    const t0 = Date.now();
    const page = await open(room);
    await waitForState(page, 'in-call');
    const pageId = (await readState(page)).id;
    const client = spawnNative(room);
    const joined = await client.waitEvent(/^event joined ([0-9a-f]{32}) \S+ peers=1$/,
      { what: 'joined with the page' });
    const nativeId = joined[1];
    await client.waitEvent(new RegExp(`^event peer ${pageId} offerer$`), { what: 'offerer to the page' });
    await client.waitEvent(/^event local-description offer$/);
    await mediaBothWaysThenStop({ label: 'page-first', t0, page, client, nativeId, pageOffered: false });
  });
});
