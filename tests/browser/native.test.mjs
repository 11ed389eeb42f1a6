// Native ↔ Chromium (issue 5): `signalbox-client` (GStreamer webrtcbin) and the web client page in one room
// through a real signalbox, in both orders, so each side is once the offerer (the newcomer offers). Both
// sides must decode the other's VP8 video and Opus audio, checked on each side: on the page from getStats
// (framesDecoded keeps rising, audio samples arrive, codecs are VP8 and opus), in the native client from its
// `event frames-decoded V audio-buffers A` and `event stats ...` lines. SIGTERM then makes the native client
// send `bye` (the page shows the peer left) and exit 0.
import { after, before, describe, it } from 'node:test';
import { uniqueRoom } from './lib/call-suite.mjs';
import {
  launchForNative, mediaBothWaysThenStop, nativeArgs, STEP,
} from './lib/native-call.mjs';
import { CLIENT_BIN, clientBinaryExists, startNativeClient } from './lib/native-client.mjs';
import { closePage, openCallPage, readState, waitForState } from './lib/page.mjs';
import { startServer } from './lib/server.mjs';

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
    const client = startNativeClient(nativeArgs(`ws://${ctx.server.hostPort}/ws`, room));
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
