// Differential tests of the PeerJS protocol: the same scripted exchanges against the reference server,
// `peer` 1.0.2 from npm, and against signalbox's PeerJS mode must give the frames each scenario expects,
// field for field (ids are chosen by the clients, so they are the same on both).
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startPeerReference } from './lib/peer-reference.mjs';
import { startServer } from './lib/server.mjs';
import { BASE_OPTIONS, httpApi, limitScenario, scenarios } from './lib/peerjs-scenarios.mjs';

// A target speaks the PeerJS protocol at `<PATH>/peerjs` with the given options.
const TARGETS = {
  'peer 1.0.2': async (options) => {
    const server = await startPeerReference(options);
    return {
      name: 'peer',
      server,
      ws: (query) => `ws://${server.hostPort}${options.path}/peerjs?${query}`,
      http: (pathAndQuery) => `http://${server.hostPort}${pathAndQuery}`,
    };
  },
  signalbox: async (options) => {
    const args = ['--peerjs-path', options.path, '--peerjs-key', options.key, '--no-turn'];
    if (options.expire_timeout) args.push('--peerjs-expire-timeout', String(options.expire_timeout / 1000));
    if (options.alive_timeout) args.push('--peerjs-alive-timeout', String(options.alive_timeout / 1000));
    if (options.concurrent_limit) args.push('--peerjs-concurrent-limit', String(options.concurrent_limit));
    const server = await startServer({ args });
    return {
      name: 'signalbox',
      server,
      ws: (query) => `ws://${server.hostPort}${options.path}/peerjs?${query}`,
      http: (pathAndQuery) => `http://${server.hostPort}${pathAndQuery}`,
    };
  },
};

for (const [targetName, start] of Object.entries(TARGETS)) {
  describe(`PeerJS wire protocol: ${targetName}`, () => {
    const started = [];
    const open = async (options) => {
      const t = await start(options);
      started.push(t.server);
      return t;
    };
    after(async () => {
      for (const s of started) await s.stop();
    });

    // A scenario a target does not pass yet runs as a todo, with the reason (never silently skipped).
    const todo = (s) => ({ todo: s.notYet?.[targetName] ?? false });
    for (const s of scenarios) {
      test(s.name, todo(s), async () => {
        // A server of its own per scenario: ids and queues of one never meet another's.
        assert.deepStrictEqual(await s.run(await open(BASE_OPTIONS)), s.expect);
      });
    }

    test(limitScenario.name, todo(limitScenario), async () => {
      const t = await open(limitScenario.options);
      assert.deepStrictEqual(await limitScenario.run(t), limitScenario.expect);
    });

    test('HTTP API without discovery: /id gives a UUID as text/html, /peers is 401', async () => {
      assert.deepStrictEqual(await httpApi(await open(BASE_OPTIONS), { discovery: false }), {
        id: { status: 200, type: 'text/html', uuid: true },
        peers: { status: 401 },
      });
    });

    // Discovery (listAllPeers, deprecated in the peerjs client) is the reference's only: signalbox does not
    // offer it (docs/compatibility.md), and its /peers answers 401 as above.
    if (targetName !== 'signalbox') test('HTTP API with discovery: /peers lists the connected ids as JSON', async () => {
      const t = await open({ ...BASE_OPTIONS, allow_discovery: true });
      assert.deepStrictEqual(await httpApi(t, { discovery: true }), {
        id: { status: 200, type: 'text/html', uuid: true },
        peers: { status: 200, ids: ['alice', 'bob'] },
      });
    });
  });
}
