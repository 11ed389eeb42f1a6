// Scripted PeerJS exchanges for the differential tests: each runs against a target (the reference `peer`
// 1.0.2 or signalbox's PeerJS mode) and returns what every client received. The test checks the result
// against `expect` field for field, for every target, so the two servers are held to the same frames.
//
// A target is {name, ws(query) → WireClient URL, http(pathAndQuery) → URL}. Ids are chosen by the clients, so
// they are the same on both servers; the one server-chosen value (GET /id) is compared by its shape.
import { WireClient } from './wire-client.mjs';

export const PATH = '/myapp';
export const KEY = 'peerjs';
// Short timeouts so that EXPIRE comes within a second; the reference server checks its queues every
// cleanup_out_msgs ms.
export const BASE_OPTIONS = { key: KEY, path: PATH, expire_timeout: 600, cleanup_out_msgs: 100 };
const EXPIRE_WAIT_MS = 4000;

const OFFER_PAYLOAD = {
  sdp: { type: 'offer', sdp: 'v=0\r\no=- 4611731400430051336 2 IN IP4 127.0.0.1\r\ns=-\r\nt=0 0\r\n' },
  type: 'data', connectionId: 'dc_0123456789', label: 'dc_0123456789', reliable: true, serialization: 'binary',
  metadata: { nested: [1, 2.5, -3e-7, true, null, 'caf\u00e9 \u{1f600}'], empty: {} },
};
const ANSWER_PAYLOAD = { sdp: { type: 'answer', sdp: 'v=0\r\n' }, type: 'data', connectionId: 'dc_0123456789' };
const CANDIDATE_PAYLOAD = {
  candidate: { candidate: 'candidate:1 1 udp 2122260223 192.0.2.2 50000 typ host', sdpMid: '0', sdpMLineIndex: 0,
    usernameFragment: 'abcd' },
  type: 'data', connectionId: 'dc_0123456789',
};

function connect(target, id, { token = `tok-${id}`, key = KEY, query } = {}) {
  const q = query ?? new URLSearchParams({ key, id, token, version: '1.5.5' }).toString();
  return new WireClient(target.ws(q), { name: `${target.name}:${id}` });
}

// Connects and waits for OPEN.
async function open(target, id, options) {
  const c = connect(target, id, options);
  await c.frame(0);
  return c;
}

// `from` sends a marker OFFER to `to` and waits until `to` has it: every frame `from` sent before has then
// been handled by the server (one connection's frames are handled in order).
async function barrier(from, to, id) {
  const seen = to.frames.length;
  from.send({ type: 'OFFER', dst: to.peerId, payload: { barrier: id } });
  await to.until(() => to.frames.slice(seen).some((f) => f.payload?.barrier === id), `barrier ${id}`);
}

function withId(client, id) {
  client.peerId = id;
  return client;
}

export const scenarios = [
  {
    name: 'a new id gets OPEN',
    async run(t) {
      const a = await open(t, 'alice');
      a.close();
      return { alice: a.frames };
    },
    expect: { alice: [{ type: 'OPEN' }] },
  },
  {
    name: 'OFFER, ANSWER, CANDIDATE, LEAVE and EXPIRE are relayed with src set by the server',
    async run(t) {
      const a = withId(await open(t, 'alice'), 'alice');
      const b = withId(await open(t, 'bob'), 'bob');
      a.send({ type: 'OFFER', src: 'mallory', dst: 'bob', payload: OFFER_PAYLOAD, extra: 'dropped' });
      await b.frame(1);
      b.send({ type: 'ANSWER', dst: 'alice', payload: ANSWER_PAYLOAD });
      await a.frame(1);
      a.send({ type: 'CANDIDATE', dst: 'bob', payload: CANDIDATE_PAYLOAD });
      a.send({ type: 'CANDIDATE', dst: 'bob', payload: null });
      a.send({ type: 'CANDIDATE', dst: 'bob' });
      a.send({ type: 'LEAVE', dst: 'bob' });
      a.send({ type: 'EXPIRE', dst: 'bob', payload: 'x' });
      await b.frame(6);
      a.close();
      b.close();
      return { alice: a.frames, bob: b.frames };
    },
    expect: {
      alice: [{ type: 'OPEN' }, { type: 'ANSWER', src: 'bob', dst: 'alice', payload: ANSWER_PAYLOAD }],
      bob: [
        { type: 'OPEN' },
        { type: 'OFFER', src: 'alice', dst: 'bob', payload: OFFER_PAYLOAD },
        { type: 'CANDIDATE', src: 'alice', dst: 'bob', payload: CANDIDATE_PAYLOAD },
        { type: 'CANDIDATE', src: 'alice', dst: 'bob', payload: null },
        { type: 'CANDIDATE', src: 'alice', dst: 'bob' },
        { type: 'LEAVE', src: 'alice', dst: 'bob' },
        { type: 'EXPIRE', src: 'alice', dst: 'bob', payload: 'x' },
      ],
    },
  },
  {
    name: 'an id in use with another token gets ID-TAKEN and a close; the holder keeps it',
    async run(t) {
      const a = withId(await open(t, 'alice', { token: 't1' }), 'alice');
      const thief = connect(t, 'alice', { token: 't2' });
      const closed = await thief.waitClosed();
      const b = withId(await open(t, 'bob'), 'bob');
      await barrier(b, a, 1);
      a.close();
      b.close();
      return { alice: a.frames.length, thief: thief.frames, thiefClosed: closed.code !== undefined };
    },
    expect: {
      alice: 2,
      thief: [{ type: 'ID-TAKEN', payload: { msg: 'ID is taken' } }],
      thiefClosed: true,
    },
  },
  {
    name: 'missing id, token or key gets ERROR and a close',
    async run(t) {
      const out = {};
      for (const [label, query] of [['no token', `key=${KEY}&id=alice`], ['no id', `key=${KEY}&token=t`],
        ['no key', 'id=alice&token=t'], ['empty token', `key=${KEY}&id=alice&token=`], ['nothing', '']]) {
        const c = connect(t, 'x', { query });
        await c.waitClosed();
        out[label] = c.frames;
      }
      return out;
    },
    expect: Object.fromEntries(['no token', 'no id', 'no key', 'empty token', 'nothing'].map((k) =>
      [k, [{ type: 'ERROR', payload: { msg: 'No id, token, or key supplied to websocket server' } }]])),
  },
  {
    name: 'a wrong key gets ERROR and a close',
    async run(t) {
      const c = connect(t, 'alice', { key: 'other' });
      await c.waitClosed();
      return { alice: c.frames };
    },
    expect: { alice: [{ type: 'ERROR', payload: { msg: 'Invalid key provided' } }] },
  },
  {
    name: 'messages to an id not connected yet wait for it and arrive after its OPEN, in order',
    async run(t) {
      const a = withId(await open(t, 'alice'), 'alice');
      const b = withId(await open(t, 'bob'), 'bob');
      a.send({ type: 'OFFER', dst: 'carol', payload: { n: 1 } });
      a.send({ type: 'CANDIDATE', dst: 'carol', payload: { n: 2 } });
      b.send({ type: 'CANDIDATE', dst: 'carol', payload: { n: 3 } });
      a.send({ type: 'LEAVE', dst: 'carol' });  // LEAVE and EXPIRE never wait
      await barrier(a, b, 1);
      await barrier(b, a, 2);
      const c = connect(t, 'carol');
      await c.frame(3);
      a.close();
      b.close();
      c.close();
      // Each sender's messages keep their order; how two senders' interleave depends on which connection the
      // server read first.
      const bySender = {};
      for (const f of c.frames.slice(1)) (bySender[f.src] ??= []).push(f);
      return { carolFirst: c.frames[0], bySender, count: c.frames.length, alice: a.frames.length };
    },
    expect: {
      carolFirst: { type: 'OPEN' },
      bySender: {
        alice: [
          { type: 'OFFER', src: 'alice', dst: 'carol', payload: { n: 1 } },
          { type: 'CANDIDATE', src: 'alice', dst: 'carol', payload: { n: 2 } },
        ],
        bob: [{ type: 'CANDIDATE', src: 'bob', dst: 'carol', payload: { n: 3 } }],
      },
      count: 4,
      alice: 2,
    },
  },
  {
    name: 'a peer that never comes: one EXPIRE per sender after the expire timeout, and the queue is gone',
    async run(t) {
      const a = withId(await open(t, 'alice'), 'alice');
      a.send({ type: 'OFFER', dst: 'dave', payload: { n: 1 } });
      a.send({ type: 'CANDIDATE', dst: 'dave', payload: { n: 2 } });
      await a.frame(1, EXPIRE_WAIT_MS);
      const b = withId(await open(t, 'bob'), 'bob');
      await barrier(b, a, 1);  // a second EXPIRE would have come before this
      const d = withId(await open(t, 'dave'), 'dave');
      await barrier(b, d, 2);
      a.close();
      b.close();
      d.close();
      return { alice: a.frames.slice(0, 2), aliceCount: a.frames.length, dave: d.frames.slice(0, 1),
        daveCount: d.frames.length };
    },
    expect: {
      alice: [{ type: 'OPEN' }, { type: 'EXPIRE', src: 'dave', dst: 'alice' }],
      aliceCount: 3,
      dave: [{ type: 'OPEN' }],
      daveCount: 2,
    },
  },
  {
    name: 'a second connection with the same id and token takes the id over without OPEN',
    async run(t) {
      const a1 = withId(await open(t, 'alice', { token: 'secret' }), 'alice');
      const a2 = withId(connect(t, 'alice', { token: 'secret' }), 'alice');
      await a2.opened;
      const b = withId(await open(t, 'bob'), 'bob');
      // Once bob's OFFER reached the new connection, the server has switched over.
      b.send({ type: 'OFFER', dst: 'alice', payload: { n: 1 } });
      await a2.frame(0);
      a2.send({ type: 'ANSWER', dst: 'bob', payload: { n: 2 } });
      await b.frame(1);
      a1.close();
      a2.close();
      b.close();
      return { alice1: a1.frames, alice2: a2.frames, bob: b.frames };
    },
    expect: {
      alice1: [{ type: 'OPEN' }],
      alice2: [{ type: 'OFFER', src: 'bob', dst: 'alice', payload: { n: 1 } }],
      bob: [{ type: 'OPEN' }, { type: 'ANSWER', src: 'alice', dst: 'bob', payload: { n: 2 } }],
    },
  },
  {
    name: 'what the reference server ignores gets no answer and the connection stays usable',
    async run(t) {
      const a = withId(await open(t, 'alice'), 'alice');
      const b = withId(await open(t, 'bob'), 'bob');
      for (const junk of ['not json', '[1,2]', 'null', '"OFFER"', '{}', '{"type":"PING"}', '{"type":"OPEN"}',
        '{"type":"ERROR","payload":{"msg":"x"}}', '{"type":"ID-TAKEN"}', '{"type":"HEARTBEAT"}',
        '{"type":"offer","dst":"bob"}', '{"type":5,"dst":"bob"}', '{"type":"OFFER"}', '{"type":"ANSWER","dst":""}',
        '{"type":"OFFER","dst":null}']) {
        a.send(junk);
      }
      a.sendBinary(Buffer.from(JSON.stringify({ type: 'OFFER', dst: 'bob', payload: { binary: true } })));
      await barrier(a, b, 1);
      await barrier(b, a, 2);
      a.close();
      b.close();
      return { alice: a.frames, bob: b.frames };
    },
    expect: {
      alice: [{ type: 'OPEN' }, { type: 'OFFER', src: 'bob', dst: 'alice', payload: { barrier: 2 } }],
      bob: [
        { type: 'OPEN' },
        { type: 'OFFER', src: 'alice', dst: 'bob', payload: { binary: true } },
        { type: 'OFFER', src: 'alice', dst: 'bob', payload: { barrier: 1 } },
      ],
    },
  },
  {
    name: 'a peer that disconnects is not announced; messages for it then expire',
    async run(t) {
      const a = withId(await open(t, 'alice'), 'alice');
      const b = withId(await open(t, 'bob'), 'bob');
      a.close();
      await a.waitClosed();
      // The server may see the close a moment after the client does, and a message written to the closing
      // socket is lost: send again until one is held for alice and so expires.
      for (let attempt = 1; b.frames.length < 2; attempt++) {
        b.send({ type: 'OFFER', dst: 'alice', payload: { n: 1 } });
        await b.frame(1, attempt < 3 ? 1500 : EXPIRE_WAIT_MS).catch((err) => {
          if (attempt >= 3) throw err;
        });
      }
      b.close();
      return { bob: b.frames, alice: a.frames };
    },
    expect: {
      bob: [{ type: 'OPEN' }, { type: 'EXPIRE', src: 'alice', dst: 'bob' }],
      alice: [{ type: 'OPEN' }],
    },
  },
];

// Scenarios that need their own server options.
export const limitScenario = {
  name: 'over the concurrent limit: ERROR and a close; taking over an id is still allowed',
  options: { ...BASE_OPTIONS, concurrent_limit: 2 },
  async run(t) {
    const a = await open(t, 'alice', { token: 's' });
    const b = await open(t, 'bob');
    const c = connect(t, 'carol');
    await c.waitClosed();
    const a2 = connect(t, 'alice', { token: 's' });
    await a2.opened;
    const d = withId(connect(t, 'dave'), 'dave');
    await d.waitClosed();
    a.close();
    a2.close();
    b.close();
    return { carol: c.frames, dave: d.frames, alice2Open: a2.closed === null };
  },
  expect: {
    carol: [{ type: 'ERROR', payload: { msg: 'Server has reached its concurrent user limit' } }],
    dave: [{ type: 'ERROR', payload: { msg: 'Server has reached its concurrent user limit' } }],
    alice2Open: true,
  },
};

export const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/;

// The HTTP API: what a client can tell from status, type and body.
export async function httpApi(t, { discovery }) {
  const id = await fetch(t.http(`${PATH}/${KEY}/id?ts=1&version=1.5.5`));
  const idBody = await id.text();
  const out = { id: { status: id.status, type: id.headers.get('content-type')?.split(';')[0], uuid: UUID.test(idBody) } };
  const a = await open(t, 'alice');
  const b = await open(t, 'bob');
  const peers = await fetch(t.http(`${PATH}/${KEY}/peers`));
  out.peers = { status: peers.status };
  if (discovery) out.peers.ids = (await peers.json()).sort();
  else await peers.text();
  a.close();
  b.close();
  return out;
}
