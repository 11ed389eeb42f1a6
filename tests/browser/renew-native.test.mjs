// A native offerer's new peer connection (issue 14; docs/native-client.md, "A new peer connection"). libnice under
// webrtcbin 1.22 cannot gather again, so when the media path breaks, the native client that offered replaces its
// peer connection (a new webrtcbin: fresh candidates, a new DTLS certificate) and offers it through the signaling
// session, with a new o= session id. Here the page joins first, so the native client offers; SIGUSR1 asks it for a
// new peer connection (on one machine there is no network to change). The page must recognise the new session,
// close its RTCPeerConnection, answer with a new one and show the new remote video; both sides decode again, and
// nobody hears peer-left.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { uniqueRoom } from './lib/call-suite.mjs';
import { launchForNative, nativeArgs, nativeDecodes, pageDecodes, stopNative } from './lib/native-call.mjs';
import { CLIENT_BIN, clientBinaryExists, startNativeClient } from './lib/native-client.mjs';
import { closePage, openCallPage, readState, waitForState, waitInPage } from './lib/page.mjs';
import { startServer } from './lib/server.mjs';

const SKIP = !clientBinaryExists() && `signalbox-client not built (${CLIENT_BIN})`;
const FRAMES_RE = /^event frames-decoded (\d+) audio-buffers (\d+)$/;

function lastFrames(client) {
  const line = client.events.filter((e) => FRAMES_RE.test(e)).pop();
  const m = line ? FRAMES_RE.exec(line) : null;
  return m ? { video: Number(m[1]), audio: Number(m[2]) } : { video: 0, audio: 0 };
}

// The page's peer connection to `id`: its remote offer's o= session id, and whether it is the one marked earlier.
function pagePeerConnection(page, id) {
  return page.evaluate((peerId) => {
    const pc = window.signalbox.pcs[peerId];
    const sdp = pc?.remoteDescription?.sdp || '';
    return { session: /^o=\S+ (\d+) /m.exec(sdp)?.[1] || null, marked: Boolean(pc?.sbMarked),
      state: pc?.connectionState || null };
  }, id);
}

test('the page answers a native offerer\'s new peer connection with a new one', { skip: SKIP, timeout: 240000 },
  async (t) => {
    const server = await startServer({ args: ['--no-stun', '--no-turn'] });
    t.after(() => server.stop());
    const browser = await launchForNative();
    t.after(() => browser.close().catch(() => {}));
    const room = uniqueRoom('renew-native');
    const page = await openCallPage(browser, server.url, { room, name: 'web' });
    t.after(() => closePage(page));
    await waitForState(page, 'in-call');
    const pageId = (await readState(page)).id;
    const client = startNativeClient(nativeArgs(`ws://${server.hostPort}/ws`, room));
    t.after(() => client.stop('SIGKILL'));
    const nativeId = (await client.waitEvent(/^event joined ([0-9a-f]{32}) \S+ peers=1$/, { timeout: 60000 }))[1];
    await client.waitEvent(new RegExp(`^event peer ${pageId} offerer$`), { what: 'offerer to the page' });
    await Promise.all([pageDecodes(page, nativeId), nativeDecodes(client)]);

    // Mark the page's peer connection (and keep it) so that its replacement can be told apart.
    const before = await pagePeerConnection(page, nativeId);
    assert.ok(before.session, 'the offer has an o= session id');
    await page.evaluate((id) => {
      window.sbOldPc = window.signalbox.pcs[id];
      window.sbOldPc.sbMarked = true;
    }, nativeId);
    const from = client.events.length;
    const nativeBefore = lastFrames(client);
    const t0 = Date.now();
    process.kill(client.pid, 'SIGUSR1');
    await client.waitEvent(/^event new-peer-connection 1 signal$/, { from, what: 'a new peer connection' });
    await client.waitEvent(/^event local-description offer$/, { from, what: 'the new offer' });

    await waitInPage(page, (id) => window.signalbox.newSessions === 1 && window.signalbox.pcs[id] &&
      !window.signalbox.pcs[id].sbMarked, nativeId, 'a new RTCPeerConnection for the new session', 30000);
    const after = await pagePeerConnection(page, nativeId);
    assert.notEqual(after.session, before.session, 'the new offer starts a new session');
    assert.equal(await page.evaluate(() => window.sbOldPc.connectionState), 'closed', 'the old one is closed');
    // The new connection decodes (framesDecoded of the new RTCPeerConnection starts at 0), and the remote tile
    // shows its stream.
    const onPage = await pageDecodes(page, nativeId);
    const tMedia = Date.now() - t0;
    assert.ok(await page.evaluate((id) => document.querySelector(`.tile.remote[data-peer="${id}"] video`)?.srcObject ===
      window.signalbox.streams[id], nativeId), 'the remote video shows the new stream');
    await client.waitEvent(/^event ice-state (connected|completed)$/, { from, what: 'ICE connected again' });
    const native = await client.waitEvent(FRAMES_RE, { from, timeout: 60000, what: 'native decoding again',
      accept: (m) => Number(m[1]) >= nativeBefore.video + 20 && Number(m[2]) > nativeBefore.audio });
    console.log(`renew-native: the page decoded ${onPage.video.framesDecoded} frames on the new connection ` +
      `${tMedia} ms after SIGUSR1; native ${native[1]} frames in all (${nativeBefore.video} before)`);

    const heard = await page.evaluate(() => window.signalbox.received);
    assert.equal(heard['peer-left'], undefined, 'the page never heard peer-left');
    assert.equal((await readState(page)).peers[nativeId].left, false);
    assert.ok(!client.events.some((e) => /^event (resume-refused|exit|peer-left)/.test(e)), client.describe());
    await stopNative(client, page, nativeId);
  });
