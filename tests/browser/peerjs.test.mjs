// PeerJS on signalbox with a client nobody here wrote: peerjs 1.5.5 from npm (its own dist/peerjs.min.js) in
// plain pages served by signalbox, pointed at it with host, port and path, and with only signalbox's STUN in
// config.iceServers. Data both ways with the default serialization and with json, a media call decoding
// video both ways, ID-TAKEN for an id in use, EXPIRE for a peer that never comes, and disconnect() then
// reconnect() with the same id and token. All of it twice: on one signalbox, and with the two pages on
// different nodes of a cluster (issue 13: two nodes sharing a throwaway redis-server), where the id in use is
// on the other node; there also a new Peer with alice's id and token on the other node takes her id over.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { launchBrowser } from './lib/browser.mjs';
import { compatWebRoot } from './lib/compat-pages.mjs';
import { startRedis } from './lib/redis.mjs';
import { startServer } from './lib/server.mjs';

const PATH = '/myapp';
const WAIT_MS = 20000;

// Opens a page with a Peer for `id` and waits for its `open` (or first error) unless `wait` is false (a
// re-attached id gets no OPEN, so no `open` comes). `token`: PeerOptions.token (random by default).
async function openPeer(browser, server, id, { token, wait = true } = {}) {
  const context = await browser.newContext();
  const page = await context.newPage();
  page.sbLog = [];
  page.on('console', (m) => page.sbLog.push(`[${m.type()}] ${m.text()}`));
  await page.goto(`${server.url}/peerjs.html`);
  const stun = server.listening['stun-udp'].replace('0.0.0.0', '127.0.0.1');
  const options = { host: '127.0.0.1', port: server.port, path: PATH, secure: false, debug: 1,
    config: { iceServers: [{ urls: `stun:${stun}` }] }, ...(token ? { token } : {}) };
  if (!wait) {
    await page.evaluate((a) => { window.pjs.start(a); }, { id, options });
    return { page, result: null };
  }
  const result = await page.evaluate((a) => window.pjs.start(a), { id, options });
  return { page, result };
}

function waitFor(page, predicate, arg, what) {
  return page.waitForFunction(predicate, arg, { timeout: WAIT_MS, polling: 100 }).catch(async (err) => {
    const state = await page.evaluate(() => JSON.stringify({ ...window.pjs.state, connections: undefined,
      calls: undefined })).catch(() => '?');
    throw new Error(`waiting for ${what}: ${err.message.split('\n')[0]}\nstate ${state}\n${page.sbLog.slice(-10).join('\n')}`);
  });
}

// framesDecoded of the page's calls, sampled until every call has decoded `min` more frames.
async function videoKeepsComing(page, min = 10) {
  const first = await page.evaluate(() => window.pjs.videoFrames());
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const now = await page.evaluate(() => window.pjs.videoFrames());
    const ids = Object.keys(now);
    if (ids.length > 0 && ids.every((id) => now[id] - (first[id] ?? 0) >= min)) return now;
    if (Date.now() > deadline) throw new Error(`video did not keep coming: ${JSON.stringify(first)} → ${JSON.stringify(now)}`);
    await new Promise((r) => setTimeout(r, 250));
  }
}

// One signalbox for both pages.
async function oneServer(args) {
  const server = await startServer({ args });
  return { servers: [server, server], stop: () => server.stop() };
}

// Two nodes sharing a throwaway Redis: alice's page on the first, bob's on the second.
async function twoNodes(args) {
  const redis = await startRedis();
  const servers = [];
  const stop = async () => {
    for (const s of servers) await s.stop();
    await redis.stop();
  };
  try {
    for (const name of ['node1', 'node2']) {
      servers.push(await startServer({ args: [...args, '--redis', redis.url, '--node-id', name] }));
    }
  } catch (err) {
    await stop();
    throw err;
  }
  return { servers, stop };
}

for (const [where, start] of [['one server', oneServer], ['two cluster nodes', twoNodes]]) {
  describe(`peerjs 1.5.5 against signalbox --peerjs-path (${where})`, () => {
    let deployment, server, other, browser, web, alice, bob;
    before(async () => {
      web = compatWebRoot();
      deployment = await start(['--web-root', web.dir, '--peerjs-path', PATH, '--no-turn']);
      [server, other] = deployment.servers;
      browser = await launchBrowser();
      alice = await openPeer(browser, server, 'alice');
      bob = await openPeer(browser, other, 'bob');
    });
    after(async () => {
      await browser?.close();
      await deployment?.stop();
      web?.remove();
    });

    test('both pages get their ids (OPEN)', () => {
      assert.deepStrictEqual(alice.result, { id: 'alice' });
      assert.deepStrictEqual(bob.result, { id: 'bob' });
    });

    for (const serialization of [undefined, 'json']) {
      test(`a data connection carries messages both ways (${serialization ?? 'default'} serialization)`, async () => {
        const ser = serialization ?? 'binary';
        await alice.page.evaluate((s) => window.pjs.connect('bob', s), serialization);
        await waitFor(alice.page, (s) => window.pjs.state.opened.some((o) => o.serialization === s), ser, 'alice open');
        await waitFor(bob.page, (s) => window.pjs.state.opened.some((o) => o.serialization === s), ser, 'bob open');
        const hello = { text: `hello bob (${ser})`, n: 42, list: [1, 'two', { three: 3 }] };
        assert.equal(await alice.page.evaluate(([s, d]) => window.pjs.sendAll(s, d), [ser, hello]), 1);
        assert.equal(await bob.page.evaluate(([s, d]) => window.pjs.sendAll(s, d), [ser, `hi alice (${ser})`]), 1);
        await waitFor(bob.page, (s) => window.pjs.state.received.some((r) => r.serialization === s), ser, 'bob data');
        await waitFor(alice.page, (s) => window.pjs.state.received.some((r) => r.serialization === s), ser, 'alice data');
        const got = (page) => page.evaluate((s) => window.pjs.state.received.filter((r) => r.serialization === s), ser);
        assert.deepStrictEqual(await got(bob.page), [{ peer: 'alice', serialization: ser, data: hello }]);
        assert.deepStrictEqual(await got(alice.page), [{ peer: 'bob', serialization: ser, data: `hi alice (${ser})` }]);
      });
    }

    test('a media call decodes video both ways', async () => {
      await alice.page.evaluate(() => window.pjs.call('bob'));
      await videoKeepsComing(bob.page);
      await videoKeepsComing(alice.page);
    });

    test('an id in use gets ID-TAKEN (unavailable-id)', async () => {
      const thief = await openPeer(browser, other, 'alice');
      assert.equal(thief.result.error, 'unavailable-id');
      await thief.page.context().close();
    });

    test('a peer that never comes: EXPIRE (peer-unavailable) after the expire timeout', async () => {
      await alice.page.evaluate(() => window.pjs.connect('nobody-here', 'json'));
      await waitFor(alice.page, () => window.pjs.state.errors.some((e) => e.type === 'peer-unavailable'), null,
        'peer-unavailable');
      const errors = await alice.page.evaluate(() => window.pjs.state.errors.filter((e) => e.type === 'peer-unavailable'));
      assert.match(errors[0].message, /nobody-here/);
    });

    test('disconnect() then reconnect(): the same id and token are reachable again', async () => {
      // Whether the server has seen the old socket close (a fresh OPEN) or not (a re-attach), alice is back.
      assert.deepStrictEqual(await alice.page.evaluate(() => window.pjs.reconnect()),
        { disconnected: false, destroyed: false });
      const opened = await bob.page.evaluate(() => window.pjs.state.opened.length);
      await bob.page.evaluate(() => window.pjs.connect('alice', 'json'));
      await waitFor(bob.page, (n) => window.pjs.state.opened.length > n, opened, 'bob connected to alice again');
      const n = await bob.page.evaluate(() => window.pjs.sendAll('json', 'after reconnect'));
      assert.ok(n >= 1);
      await waitFor(alice.page, () => window.pjs.state.received.some((r) => r.data === 'after reconnect'), null,
        'alice got data after reconnecting');
      const errors = await alice.page.evaluate(() => window.pjs.state.errors.map((e) => e.type));
      assert.ok(!errors.includes('unavailable-id'), `alice's reconnect was refused: ${errors}`);
    });

    if (where === 'two cluster nodes') {
      // Issue 15: alice's id is held on the first node; a page on the second node with her id and token takes it
      // over there, as peer 1.0.2 does on one server: no OPEN for the new page, the old page's socket is closed,
      // and bob's new connection to alice reaches the new page.
      test('a new Peer with alice\'s id and token on the other node takes the id over', async () => {
        const token = await alice.page.evaluate(() => window.pjs.token());
        const again = await openPeer(browser, other, 'alice', { token, wait: false });
        // The server closed the old page's socket: peerjs reports `network` (reconnect() above reported nothing).
        await waitFor(alice.page, () => window.pjs.state.errors.some((e) => e.type === 'network'), null,
          'the old page lost its socket');
        const opened = await bob.page.evaluate(() => window.pjs.state.opened.length);
        await bob.page.evaluate(() => window.pjs.connect('alice', 'json'));
        await waitFor(bob.page, (n) => window.pjs.state.opened.length > n, opened, 'bob connected to the new page');
        assert.ok(await bob.page.evaluate(() => window.pjs.sendAll('json', 'to the new page')) >= 1);
        await waitFor(again.page, () => window.pjs.state.received.some((r) => r.data === 'to the new page'), null,
          'the new page got bob\'s data');
        assert.equal(await again.page.evaluate(() => window.pjs.state.id), null, 'a re-attached id gets no OPEN');
        const errors = await again.page.evaluate(() => window.pjs.state.errors.map((e) => e.type));
        assert.deepStrictEqual(errors, []);
        await again.page.context().close();
      });
    }
  });
}
