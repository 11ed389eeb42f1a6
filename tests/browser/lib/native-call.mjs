// Native client ↔ Chromium page calls, shared by native.test.mjs and cluster.test.mjs: how both sides prove they
// decode each other's media, and how the native client is stopped.
import assert from 'node:assert/strict';
import { chromium } from 'playwright-core';
import { CHROMIUM_BIN, chromiumFlags } from './browser.mjs';
import { readState, waitConnected, waitInPage, waitMediaFlowing } from './page.mjs';

// Modest goals that still prove media is decoded, not just received: on a loaded 2-core machine the
// software VP8 encoders of both sides run at a few frames a second.
const MIN_FRAMES = 20;
const MEDIA_TIMEOUT_MS = 60000;
export const STEP = { timeout: 120000 }; // a hung scenario fails alone; the after() hook still stops everything

// The page's test video is 320x240@15 (lib/page.mjs); the native client sends the same.
export function nativeArgs(serverUrl, room) {
  return ['--server', serverUrl, '--room', room, '--name', 'native', '--sink', 'fake',
    '--stats', '--width', '320', '--height', '240', '--fps', '15', '--video-kbps', '300',
    '--ice-timeout', '60', '--timeout', '150'];
}

// libnice cannot resolve the mDNS `.local` host candidates Chromium hands out when it hides local
// addresses; a page that got camera permission shows real ones anyway, this makes it independent of that.
// Chromium honours the last --disable-features switch, so this one may drop playwright's own list (features
// that only cause background requests or UI); the browser lib is shared, hence a launcher of our own.
export async function launchForNative() {
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

// The native side decodes video frames and audio buffers, and keeps decoding: a later report is higher. `from`:
// only events from that index on count (a call set up again after a reconnect).
export async function nativeDecodes(client, { from = 0 } = {}) {
  const first = await client.waitEvent(FRAMES_RE, {
    timeout: MEDIA_TIMEOUT_MS, what: `${MIN_FRAMES} decoded video frames and audio buffers`, from,
    accept: (m) => Number(m[1]) >= MIN_FRAMES && Number(m[2]) >= MIN_FRAMES,
  });
  const [v0, a0] = [Number(first[1]), Number(first[2])];
  const later = await client.waitEvent(FRAMES_RE, {
    timeout: MEDIA_TIMEOUT_MS, what: `video and audio still decoding after ${v0}/${a0}`, from,
    accept: (m) => Number(m[1]) > v0 && Number(m[2]) > a0,
  });
  // --stats agrees: connected over a selected pair, decoding.
  const statsRe = /^event stats state=(\S+) pair=(\S+)\/(\S+) .* frames-decoded=(\d+) audio-buffers=(\d+)/;
  const stats = await client.waitEvent(statsRe, {
    timeout: 10000, what: 'a connected --stats line with frames decoded', from,
    accept: (m) => m[1] === 'connected' && m[2] !== '-' && Number(m[4]) > 0 && Number(m[5]) > 0,
  });
  return { video: Number(later[1]), audio: Number(later[2]), pair: `${stats[2]}/${stats[3]}` };
}

export async function pageDecodes(page, nativeId) {
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
export async function mediaBothWaysThenStop({ label, t0, page, client, nativeId, pageOffered }) {
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
export async function stopNative(client, page, nativeId) {
  const { code, signal } = await client.stop('SIGTERM');
  assert.equal(signal, null, `signalbox-client was killed by ${signal}\n${client.describe()}`);
  assert.equal(code, 0, `signalbox-client exit code\n${client.describe()}`);
  await client.waitEvent(/^event exit 0 ok$/, { timeout: 1000 });
  await waitInPage(page, (id) => window.signalbox.peers[id]?.leftReason === 'bye', nativeId,
    'peer-left bye from the native client');
}

