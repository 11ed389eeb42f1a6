// Session resume with the native client (docs/signaling-protocol.md, "Resume"; docs/native-client.md). The
// native client reaches signalbox through a TCP proxy the test controls, a Chromium page directly. The proxy
// resets the client's WebSocket mid-call and keeps the network away for a moment: the client reconnects with
// backoff and resumes its session, the page hears peer-reconnecting and peer-resumed but never peer-left, and
// media keeps being decoded on both sides. Then the page (which offered) restarts ICE through the resumed
// session: webrtcbin answers with new credentials (its libnice agent restarted), and media flows on.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { chromium } from 'playwright-core';
import { CHROMIUM_BIN, chromiumFlags } from './lib/browser.mjs';
import { uniqueRoom } from './lib/call-suite.mjs';
import { CLIENT_BIN, clientBinaryExists, startNativeClient } from './lib/native-client.mjs';
import { openCallPage, readState, readStats, waitConnected, waitInPage, waitMediaFlowing } from './lib/page.mjs';
import { startServer } from './lib/server.mjs';
import { startCutProxy } from './lib/cut-proxy.mjs';

const SKIP = !clientBinaryExists() && `signalbox-client not built (${CLIENT_BIN})`;
const FRAMES_RE = /^event frames-decoded (\d+) audio-buffers (\d+)$/;
const WAIT = { timeout: 60000 };

// The native client decodes more video frames and audio buffers than `after` (its last report).
function nativeDecodesMore(client, after, what) {
  return client.waitEvent(FRAMES_RE, {
    ...WAIT, what, accept: (m) => Number(m[1]) > after.video && Number(m[2]) > after.audio,
  }).then((m) => ({ video: Number(m[1]), audio: Number(m[2]) }));
}

function lastFrames(client) {
  const line = client.events.filter((e) => FRAMES_RE.test(e)).pop();
  const m = line ? FRAMES_RE.exec(line) : null;
  return m ? { video: Number(m[1]), audio: Number(m[2]) } : { video: 0, audio: 0 };
}

async function pageFrames(page) {
  const stats = await readStats(page);
  return Object.values(stats).reduce((n, s) => n + (s.inbound.video?.framesDecoded || 0), 0);
}

test('the native client resumes a cut connection and answers an ICE restart', { skip: SKIP, timeout: 240000 },
  async (t) => {
    const server = await startServer({ args: ['--no-stun', '--no-turn'] });
    t.after(() => server.stop());
    const proxy = await startCutProxy({ targetHost: '127.0.0.1', targetPort: server.port });
    t.after(() => proxy.stop());
    // As in native.test.mjs: libnice cannot resolve Chromium's mDNS host candidates.
    const browser = await chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, timeout: 30000,
      args: [...chromiumFlags(), '--disable-features=WebRtcHideLocalIpsWithMdns'] });
    t.after(() => browser.close());
    const room = uniqueRoom('resume-native');
    const client = startNativeClient(['--server', `ws://127.0.0.1:${proxy.port}/ws`, '--room', room, '--name',
      'native', '--sink', 'fake', '--width', '320', '--height', '240', '--fps', '15', '--video-kbps', '300',
      '--ice-timeout', '60', '--timeout', '200', '--backoff-initial', '0.5', '--keepalive', '6']);
    t.after(() => client.stop('SIGKILL'));
    const joined = await client.waitEvent(/^event joined ([0-9a-f]{32}) \S+ peers=0$/, WAIT);
    const nativeId = joined[1];
    // The page joins second, so it offers; the client answers.
    const page = await openCallPage(browser, server.url, { room, name: 'web' });
    await waitConnected(page, 1, 60000);
    await waitMediaFlowing(page, { rounds: 1, timeout: 60000 });
    let native = await nativeDecodesMore(client, { video: 5, audio: 5 }, 'media on the native side');

    // The cut: a reset, and the network away for two seconds.
    let pageBefore = await pageFrames(page);
    proxy.down = true;
    assert.equal(proxy.cutWebSockets('reset'), 1);
    await client.waitEvent(/^event reconnecting /, WAIT);
    await waitInPage(page, () => window.signalbox.received['peer-reconnecting'] === 1, null, 'peer-reconnecting');
    native = await nativeDecodesMore(client, lastFrames(client), 'native decoding during the outage');
    await waitMediaFlowing(page, { rounds: 1, timeout: 30000 });
    await new Promise((r) => setTimeout(r, 2000));
    proxy.down = false;
    const resumed = await client.waitEvent(/^event resumed ([0-9a-f]{32}) \S+ received=\d+ sent-again=\d+$/, WAIT);
    assert.equal(resumed[1], nativeId, 'the same peer id');
    await waitInPage(page, () => window.signalbox.received['peer-resumed'] === 1, null, 'peer-resumed');
    assert.ok(await pageFrames(page) > pageBefore, 'the page kept decoding');
    native = await nativeDecodesMore(client, native, 'native decoding after the resume');

    // An ICE restart offer from the page, answered through the resumed session with new credentials.
    const ufrag = await page.evaluate((id) => /a=ice-ufrag:(\S+)/.exec(window.signalbox.pcs[id].remoteDescription.sdp)[1],
      nativeId);
    pageBefore = await pageFrames(page);
    await page.evaluate((id) => window.signalbox.restartIce(id), nativeId);
    await waitInPage(page, ([id, old]) => {
      const sdp = window.signalbox.pcs[id]?.remoteDescription?.sdp || '';
      return /a=ice-ufrag:(\S+)/.exec(sdp)?.[1] !== old;
    }, [nativeId, ufrag], 'an answer with new ICE credentials', 30000);
    await waitConnected(page, 1, 60000);
    await waitMediaFlowing(page, { rounds: 2, timeout: 60000 });
    assert.ok(await pageFrames(page) > pageBefore);
    await nativeDecodesMore(client, lastFrames(client), 'native decoding after the ICE restart');

    const heard = await page.evaluate(() => window.signalbox.received);
    assert.equal(heard['peer-left'], undefined, 'the page never heard peer-left');
    assert.equal((await readState(page)).peers[nativeId].left, false);
    assert.ok(!client.events.some((e) => /^event (resume-refused|exit)/.test(e)), client.describe());
  });
