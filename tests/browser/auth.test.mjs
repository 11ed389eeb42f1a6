// Access control in the browser (docs/auth.md): a page opened from a valid token link calls another such
// page, with media both ways and each seeing the other's identity; a page whose link has expired says so and
// does not retry; a page without a token is told the server admits only invited participants. Tokens are
// minted here with Node's own crypto (the docs' Node example), not by signalbox.
import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, before, after, it } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { uniqueRoom } from './lib/call-suite.mjs';
import {
  openCallPage, closePage, waitForState, waitForError, waitConnected, waitMediaFlowing, readState,
} from './lib/page.mjs';

const SECRET = 'browser-test-secret-0123456789abcdef';
const STEP = { timeout: 60000 };

function mint(claims, secret = SECRET) {
  const b64 = (x) => Buffer.from(JSON.stringify(x)).toString('base64url');
  const body = `${b64({ alg: 'HS256', typ: 'JWT', kid: 'k1' })}.${b64(claims)}`;
  return `${body}.${createHmac('sha256', secret).update(body).digest('base64url')}`;
}

describe('access control with join tokens', () => {
  const ctx = {};
  const room = uniqueRoom('auth');
  const now = () => Math.floor(Date.now() / 1000);

  before(async () => {
    ctx.server = await startServer({ args: ['--jwt-secret', `k1:${SECRET}`] });
    ctx.browser = await launchBrowser();
  });
  after(async () => {
    for (const p of [ctx.alice, ctx.bob, ctx.late, ctx.stranger]) if (p) await closePage(p).catch(() => {});
    if (ctx.browser) await ctx.browser.close().catch(() => {});
    if (ctx.server) await ctx.server.stop();
  });

  it('two pages with valid token links call each other', STEP, async () => {
    const link = (sub, name) => ({ room, query: { token: mint({ sub, name, room, iat: now(), exp: now() + 600, turn: true }) } });
    ctx.alice = await openCallPage(ctx.browser, ctx.server.url, link('alice@example.org', 'Alice'));
    await waitForState(ctx.alice, 'in-call');
    ctx.bob = await openCallPage(ctx.browser, ctx.server.url, link('bob@example.org', 'Bob'));
    await Promise.all([waitConnected(ctx.alice), waitConnected(ctx.bob)]);
    await Promise.all([waitMediaFlowing(ctx.alice), waitMediaFlowing(ctx.bob)]);
    const a = await readState(ctx.alice);
    const peers = Object.values(a.peers).filter((p) => !p.left);
    assert.equal(peers.length, 1);
    assert.equal(peers[0].name, 'Bob');
    assert.equal(peers[0].identity, 'bob@example.org');
    // TURN was granted by the tokens: the credentials name the identity.
    const iceServers = await ctx.alice.evaluate(() => window.signalbox.iceServers);
    const turn = iceServers.find((s) => s.username);
    assert.ok(turn, JSON.stringify(iceServers));
    assert.match(turn.username, /^\d+:alice@example\.org$/);
  });

  it('an expired link says why it cannot join, and does not retry', STEP, async () => {
    const expired = mint({ sub: 'carol', room, iat: now() - 7200, exp: now() - 3600 });
    ctx.late = await openCallPage(ctx.browser, ctx.server.url, { room, query: { token: expired } });
    await waitForError(ctx.late, 'token-expired');
    await waitForState(ctx.late, 'denied');
    assert.match(await ctx.late.locator('#error').textContent(), /This link has expired/);
    assert.equal(await ctx.late.locator('#status').textContent(), 'Not admitted');
    // The page closed its signaling for good: no retry timer is left, and the server's close (4003) that may
    // still follow is not a lost connection to recover from.
    const s = await readState(ctx.late);
    assert.equal(s.signaling, 'closed');
    assert.equal(s.reconnects, 0, 'a refused page must not reconnect');
    assert.equal(s.state, 'denied');
  });

  it('a page without a token is told the server admits invited participants only', STEP, async () => {
    ctx.stranger = await openCallPage(ctx.browser, ctx.server.url, { room });
    await waitForError(ctx.stranger, 'token-required');
    assert.match(await ctx.stranger.locator('#error').textContent(), /admits only invited participants/);
    // The call in progress never saw the stranger.
    const a = await readState(ctx.alice);
    assert.equal(Object.values(a.peers).filter((p) => !p.left).length, 1);
  });
});
