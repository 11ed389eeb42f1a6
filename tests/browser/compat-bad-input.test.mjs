// Bad input on the PeerJS and Ayame paths: never a crash, never an effect on another protocol's rooms. One
// signalbox serves v1 (/ws), PeerJS (/p/peerjs) and Ayame (/signaling); a v1 pair, an Ayame pair and a PeerJS
// member all use the name "r", then every path gets garbage (none of it addressed to "r"), and each must still
// see only what its own protocol sent it.
import { after, before, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { startServer } from './lib/server.mjs';
import { WireClient } from './lib/wire-client.mjs';

const JUNK = ['', 'not json', '[]', 'null', '{}', '{"type":5}', '"x"', '{"type":"register"}', '{"type":"join"}',
  '{"type":"OFFER","dst":"nobody"}', '{"type":"offer","to":"r"}', '{'.repeat(5000), `{"type":"OFFER","payload":"${'x'.repeat(60000)}"}`,
  '{"type":"register","roomId":"r","clientId":{"a":1}}', '\u0000\u0001', '{"type":"OFFER","dst":"nobody","payload":{"a":[1,2,{"b":null}]}}'];

describe('bad input on the compatibility paths', () => {
  let server;
  const url = (path) => `ws://${server.hostPort}${path}`;
  before(async () => {
    server = await startServer({ args: ['--peerjs-path', '/p', '--ayame-path', '/signaling', '--no-turn'] });
  });
  after(async () => {
    await server?.stop();
  });

  test('garbage on every path: protocols stay apart and the server stays up', async () => {
    // v1: two members of room "r".
    const v1a = new WireClient(url('/ws'), { name: 'v1a' });
    const v1b = new WireClient(url('/ws'), { name: 'v1b' });
    await v1a.opened;
    await v1b.opened;
    v1a.send({ type: 'join', room: 'r' });
    await v1a.frame(0);
    v1b.send({ type: 'join', room: 'r' });
    await v1b.frame(0);
    await v1a.frame(1);  // peer-joined
    // Ayame: room "r".
    const ay = new WireClient(url('/signaling'), { name: 'ayame' });
    await ay.opened;
    ay.send({ type: 'register', roomId: 'r', clientId: 'c' });
    const accept = await ay.frame(0);
    assert.equal(accept.type, 'accept');
    assert.equal(accept.isExistClient, false, 'the v1 members of "r" are not in Ayame\'s room "r"');
    // PeerJS: the id "r".
    const pj = new WireClient(url('/p/peerjs?key=peerjs&id=r&token=t'), { name: 'peerjs' });
    assert.deepStrictEqual(await pj.frame(0), { type: 'OPEN' });

    // Garbage on fresh connections to each path, and on the PeerJS member (which ignores it).
    for (const path of ['/signaling', '/p/peerjs?key=peerjs&id=junk&token=t', '/p/peerjs', '/p/peerjs?key=x&id=r&token=t']) {
      const c = new WireClient(url(path), { name: path });
      await c.opened;
      for (const j of JUNK) if (c.closed === null) c.send(j);
      c.close();
    }
    for (const j of JUNK) pj.send(j);

    // Each pair still reaches only its own: v1 relays inside v1, PeerJS's held message to "r2" expires.
    const v1bId = v1b.frames[0].id;
    v1a.send({ type: 'offer', to: v1bId, sdp: 'v=0' });
    const offer = await v1b.frame(1);
    assert.equal(offer.type, 'offer');
    pj.send({ type: 'OFFER', dst: 'r2', payload: { n: 1 } });
    await pj.until(() => pj.frames.some((f) => f.src === 'r2'), 'EXPIRE for r2', 10000);
    // The PeerJS member saw only its OPEN and EXPIREs for what it sent itself (its junk named "nobody").
    assert.deepStrictEqual(pj.frames, [{ type: 'OPEN' }, { type: 'EXPIRE', src: 'nobody', dst: 'r' },
      { type: 'EXPIRE', src: 'r2', dst: 'r' }]);
    assert.deepStrictEqual(ay.frames.filter((f) => f.type !== 'ping'), [accept], 'nothing reached Ayame\'s room');
    assert.equal(v1a.frames.length, 2, 'nothing else reached v1');
    assert.equal((await fetch(`${server.url}/healthz`)).status, 200);
    for (const c of [v1a, v1b, ay, pj]) c.close();
  });
});
