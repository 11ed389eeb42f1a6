// Calls across the nodes of a cluster (docs/cluster.md): three signalbox nodes share a throwaway redis-server.
// Two pages on different nodes decode video both ways; a native client and a page on different nodes do too.
// Then a node is drained with SIGTERM while a page (or the native client) is on it: told `drain`, it reconnects at
// once through its one URL, which a load balancer (lib/tcp-proxy.mjs) now sends to another node, and resumes its
// session there (the drained node parked it and hands it over): same peer id, the other side hears
// peer-reconnecting and peer-resumed but never peer-left, and the call goes on without being set up again.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { uniqueRoom } from './lib/call-suite.mjs';
import { launchForNative, nativeArgs, nativeDecodes, pageDecodes, STEP, stopNative } from './lib/native-call.mjs';
import { CLIENT_BIN, clientBinaryExists, startNativeClient } from './lib/native-client.mjs';
import {
  closePage, openCallPage, readState, waitConnected, waitForState, waitInPage, waitMediaFlowing,
} from './lib/page.mjs';
import { startRedis } from './lib/redis.mjs';
import { startServer } from './lib/server.mjs';
import { startTcpProxy } from './lib/tcp-proxy.mjs';

const NO_CLIENT = !clientBinaryExists() && `signalbox-client not built (${CLIENT_BIN})`;

describe('a call across cluster nodes', () => {
  const ctx = { pages: [], clients: [], proxies: [], nodes: {} };

  before(async () => {
    ctx.redis = await startRedis();
    for (const name of ['node1', 'node2', 'node3']) {
      // Host candidates suffice on one machine; no STUN/TURN ports to collide with other suites.
      ctx.nodes[name] = await startServer({ args: ['--redis', ctx.redis.url, '--node-id', name, '--no-stun',
        '--no-turn'] });
    }
    const { node1, node2, node3 } = ctx.nodes;
    ctx.lb1 = await startTcpProxy([node1.port, node2.port]);  // node1 while it listens, then node2
    ctx.lb3 = await startTcpProxy([node3.port, node2.port]);
    ctx.proxies.push(ctx.lb1, ctx.lb3);
    ctx.browser = await launchForNative();
  });

  after(async () => {
    for (const c of ctx.clients) await c.stop('SIGKILL');
    for (const p of ctx.pages) await closePage(p);
    if (ctx.browser) await ctx.browser.close().catch(() => {});
    for (const p of ctx.proxies) await p.close();
    for (const n of Object.values(ctx.nodes)) await n.stop();
    if (ctx.redis) await ctx.redis.stop();
  });

  const open = async (url, room, name) => {
    const page = await openCallPage(ctx.browser, url, { room, name });
    ctx.pages.push(page);
    return page;
  };
  const room = uniqueRoom('cluster');

  it('two pages on different nodes decode video both ways', STEP, async () => {
    const { node1, node2 } = ctx.nodes;
    ctx.alice = await open(`http://127.0.0.1:${ctx.lb1.port}`, room, 'alice');  // on node1, through the balancer
    ctx.bob = await open(node2.url, room, 'bob');
    await Promise.all([waitConnected(ctx.alice), waitConnected(ctx.bob)]);
    await Promise.all([waitMediaFlowing(ctx.alice), waitMediaFlowing(ctx.bob)]);
    assert.ok(ctx.lb1.accepted.get(node1.port) >= 2, 'the page and its WebSocket went to node1');
    const bob = await readState(ctx.bob);
    assert.equal(Object.values(bob.peers).find((p) => !p.left)?.name, 'alice');
  });

  it('SIGTERM on a node: its page resumes on another node and the call goes on', STEP, async () => {
    const { node1, node2 } = ctx.nodes;
    const before = await readState(ctx.alice);
    const { code, signal } = await node1.stop('SIGTERM');
    assert.equal(code, 0, `node1 exit (signal ${signal})`);
    await waitInPage(ctx.alice, () => window.signalbox.state === 'in-call' && window.signalbox.resumes > 0, null,
      'alice back in the call, resumed', 20000);
    assert.ok(ctx.lb1.accepted.get(node2.port) >= 1, 'the reconnect went to node2');
    await waitInPage(ctx.bob, () => window.signalbox.received['peer-resumed'] === 1, null, 'peer-resumed', 10000);
    await Promise.all([waitMediaFlowing(ctx.alice), waitMediaFlowing(ctx.bob)]);
    const [alice, bob] = await Promise.all([readState(ctx.alice), readState(ctx.bob)]);
    assert.equal(alice.id, before.id, 'the same peer id: the session moved, it was not joined again');
    const heard = await ctx.bob.evaluate(() => window.signalbox.received);
    assert.equal(heard['peer-reconnecting'], 1);
    assert.equal(heard['peer-left'], undefined, 'bob never heard peer-left');
    assert.ok(bob.peers[alice.id] && !bob.peers[alice.id].left, 'bob is in the call with alice');
    assert.equal(bob.peers[alice.id]?.name, 'alice');
    for (const p of [ctx.alice, ctx.bob]) await closePage(p);
  });

  it('a native client and a page on different nodes decode media both ways; drained, the client resumes',
    { ...STEP, skip: NO_CLIENT }, async () => {
      const { node2, node3 } = ctx.nodes;
      const room2 = uniqueRoom('cluster-native');
      const page = await open(node2.url, room2, 'web');
      await waitForState(page, 'in-call');
      const pageId = (await readState(page)).id;
      const client = startNativeClient(nativeArgs(`ws://127.0.0.1:${ctx.lb3.port}/ws`, room2));  // on node3
      ctx.clients.push(client);
      const joined = await client.waitEvent(/^event joined ([0-9a-f]{32}) \S+ peers=1$/,
        { what: 'joined with the page' });
      await client.waitEvent(new RegExp(`^event peer ${pageId} offerer$`), { what: 'offerer to the page' });
      await Promise.all([pageDecodes(page, joined[1]), nativeDecodes(client)]);

      const from = client.events.length;
      const { code } = await node3.stop('SIGTERM');
      assert.equal(code, 0, 'node3 exit');
      await client.waitEvent(/^event drain$/, { from, what: 'drain' });
      await client.waitEvent(new RegExp(`^event resumed ${joined[1]} `), { from, what: 'resumed on node2' });
      await waitInPage(page, () => window.signalbox.received['peer-resumed'] === 1, null, 'peer-resumed', 10000);
      const [onPage, native] = await Promise.all([pageDecodes(page, joined[1]), nativeDecodes(client, { from })]);
      assert.equal(await page.evaluate(() => window.signalbox.received['peer-left']), undefined,
        'the page never heard peer-left');
      console.log(`cluster native: after the drain, page decoded ${onPage.video.framesDecoded} frames, native ` +
        `decoded ${native.video} frames over ${native.pair}`);
      await stopNative(client, page, joined[1]);
    });
});
