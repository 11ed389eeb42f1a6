// web/config.js is plain code with no DOM: its option handling is checked here directly, without a browser.
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { REPO_ROOT } from './lib/server.mjs';

// web/ has no package.json (it is served as is), so load the module from its source text.
const source = fs.readFileSync(path.join(REPO_ROOT, 'web/config.js'), 'utf8');
const { parseOptions, rtcConfiguration, ROOM_PATTERN } =
  await import(`data:text/javascript,${encodeURIComponent(source)}`);

const at = (url) => new URL(url);
const SERVER_ICE = [
  { urls: ['stun:192.0.2.1:3478'] },
  { urls: ['turn:192.0.2.1:3478', 'turn:192.0.2.1:3478?transport=tcp', 'turns:192.0.2.1:5349?transport=tcp'],
    username: '1700000000:abc', credential: 'secret' },
];

test('parseOptions: room, name, relay; ws:// on http and wss:// on https', () => {
  const o = parseOptions(at('http://127.0.0.1:8080/?room=demo&name=alice&relay=1'));
  assert.equal(o.room, 'demo');
  assert.equal(o.name, 'alice');
  assert.equal(o.relay, true);
  assert.equal(o.signalingUrl, 'ws://127.0.0.1:8080/ws?room=demo');
  assert.equal(parseOptions(at('https://example.org:8443/?room=x')).signalingUrl, 'wss://example.org:8443/ws?room=x');
  assert.equal(parseOptions(at('http://h/?room=a%20b')).signalingUrl, 'ws://h/ws?room=a%20b');
  assert.equal(parseOptions(at('http://h/')).signalingUrl, 'ws://h/ws');
  assert.equal(parseOptions(at('https://example.org/')).room, '');
});

test('room names follow the protocol: 1-64 of [A-Za-z0-9_.-]', () => {
  for (const ok of ['a', 'demo-1', 'A.b_c', 'x'.repeat(64)]) assert.ok(ROOM_PATTERN.test(ok), ok);
  for (const bad of ['', 'x'.repeat(65), 'a b', 'ä', 'a/b', '<script>']) assert.ok(!ROOM_PATTERN.test(bad), bad);
});

test('rtcConfiguration: the server iceServers as given, policy all or relay', () => {
  assert.deepEqual(rtcConfiguration(SERVER_ICE, parseOptions(at('http://h/?room=r'))),
    { iceServers: SERVER_ICE, iceTransportPolicy: 'all' });
  assert.equal(rtcConfiguration(SERVER_ICE, parseOptions(at('http://h/?room=r&relay=1'))).iceTransportPolicy, 'relay');
});

test('rtcConfiguration: ?transport=tcp moves turn: URLs to TCP and keeps turns: and stun:', () => {
  const c = rtcConfiguration(SERVER_ICE, parseOptions(at('http://h/?room=r&transport=tcp')));
  assert.deepEqual(c.iceServers[0].urls, ['stun:192.0.2.1:3478']);
  assert.deepEqual(c.iceServers[1].urls, ['turn:192.0.2.1:3478?transport=tcp', 'turns:192.0.2.1:5349?transport=tcp']);
  assert.equal(c.iceServers[1].credential, 'secret');
});

test('rtcConfiguration: ?ice= replaces the server list (URL list with credentials, or JSON)', () => {
  const q = new URLSearchParams({ room: 'r', ice: 'stun:10.0.0.1:3478,turn:10.0.0.1:3478', iceUser: 'u', icePass: 'p' });
  const c = rtcConfiguration(SERVER_ICE, parseOptions(at(`http://h/?${q}`)));
  assert.deepEqual(c.iceServers, [{ urls: ['stun:10.0.0.1:3478'] },
    { urls: ['turn:10.0.0.1:3478'], username: 'u', credential: 'p' }]);
  const json = [{ urls: 'turn:10.0.0.2:3478', username: 'a', credential: 'b' }];
  const q2 = new URLSearchParams({ room: 'r', ice: JSON.stringify(json) });
  assert.deepEqual(rtcConfiguration(SERVER_ICE, parseOptions(at(`http://h/?${q2}`))).iceServers, json);
  const q3 = new URLSearchParams({ room: 'r', ice: '[not json' });
  assert.throws(() => rtcConfiguration(SERVER_ICE, parseOptions(at(`http://h/?${q3}`))));
});

test('?video=WxH[@FPS] sets the capture constraints; anything else keeps 640x480', () => {
  assert.deepEqual(parseOptions(at('http://h/?room=r&video=320x240@15')).video,
    { width: { ideal: 320 }, height: { ideal: 240 }, frameRate: { ideal: 15 } });
  for (const v of ['', 'big', '1x1', '320x240@']) {
    assert.deepEqual(parseOptions(at(`http://h/?room=r&video=${v}`)).video,
      { width: { ideal: 640 }, height: { ideal: 480 } }, v);
  }
});
