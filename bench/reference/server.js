#!/usr/bin/env node
// Reference signaling server for bench/signaling/run: the protocol v1 subset (join, offer, answer, candidate,
// bye, ping) of docs/signaling-protocol.md on the `ws` package, written the way a typical Node.js signaling
// server is. It is the yardstick signalbox is compared with, not a product.
//
//   node server.js [--listen HOST:PORT] [--max-peers-per-room N]
// Prints `listening http HOST:PORT` then `ready` (the same start-up contract as signalbox).
'use strict';

const http = require('http');
const crypto = require('crypto');
const { WebSocketServer } = require('ws');

const MAX_MESSAGE_BYTES = 64 * 1024;
const MAX_SDP_BYTES = 32 * 1024;
const MAX_CANDIDATE_BYTES = 1024;
const MAX_NAME_BYTES = 64;
const ROOM_RE = /^[A-Za-z0-9_.-]{1,64}$/;

function parseArgs(argv) {
  const opts = { host: '127.0.0.1', port: 8090, maxPeers: 2 };
  for (let i = 2; i < argv.length; i += 2) {
    const value = argv[i + 1];
    if (argv[i] === '--listen') {
      const colon = value.lastIndexOf(':');
      opts.host = value.slice(0, colon);
      opts.port = Number(value.slice(colon + 1));
    } else if (argv[i] === '--max-peers-per-room') {
      opts.maxPeers = Number(value);
    } else {
      console.error(`unknown option ${argv[i]}`);
      process.exit(2);
    }
  }
  return opts;
}

const opts = parseArgs(process.argv);
const rooms = new Map(); // room name -> Map(peer id -> socket)

function send(ws, message) {
  if (ws.readyState === ws.OPEN) ws.send(JSON.stringify(message));
}

function error(ws, code, message, ref, field) {
  const e = { type: 'error', code, message };
  if (field) e.field = field;
  if (ref) e.ref = ref;
  send(ws, e);
}

function leave(ws, reason) {
  const room = rooms.get(ws.room);
  if (!room) return;
  room.delete(ws.id);
  if (room.size === 0) rooms.delete(ws.room);
  for (const peer of room.values()) send(peer, { type: 'peer-left', id: ws.id, reason });
  ws.room = null;
}

function onJoin(ws, m) {
  if (ws.room) return error(ws, 'already-joined', 'send bye first', 'join');
  if (typeof m.room !== 'string') return error(ws, 'invalid-message', 'room must be a string', 'join', 'room');
  if (!ROOM_RE.test(m.room)) return error(ws, 'invalid-message', 'bad room name', 'join', 'room');
  const name = typeof m.name === 'string' ? m.name : '';
  if (Buffer.byteLength(name) > MAX_NAME_BYTES) return error(ws, 'field-too-large', 'name', 'join', 'name');
  let room = rooms.get(m.room);
  if (!room) rooms.set(m.room, (room = new Map()));
  if (room.size >= opts.maxPeers) return error(ws, 'room-full', `room ${m.room} is full`, 'join');
  ws.id = crypto.randomBytes(16).toString('hex');
  ws.name = name;
  ws.room = m.room;
  const peers = [...room.values()].map((p) => ({ id: p.id, name: p.name }));
  room.set(ws.id, ws);
  send(ws, { type: 'joined', id: ws.id, room: m.room, peers, iceServers: [] });
  for (const p of room.values()) if (p !== ws) send(p, { type: 'peer-joined', id: ws.id, name });
}

function onRelay(ws, m) {
  if (!ws.room) return error(ws, 'not-joined', 'join a room first', m.type);
  if (typeof m.to !== 'string') return error(ws, 'invalid-message', 'to must be a peer id', m.type, 'to');
  const out = { type: m.type, from: ws.id };
  if (m.type === 'candidate') {
    if (m.candidate === undefined) return error(ws, 'invalid-message', 'missing candidate', m.type, 'candidate');
    const c = m.candidate;
    if (c !== null && (typeof c !== 'object' || typeof c.candidate !== 'string')) {
      return error(ws, 'invalid-message', 'bad candidate', m.type, 'candidate');
    }
    if (c && c.candidate.length > MAX_CANDIDATE_BYTES) {
      return error(ws, 'field-too-large', 'candidate', m.type, 'candidate');
    }
    out.candidate = c;
  } else {
    if (typeof m.sdp !== 'string') return error(ws, 'invalid-message', 'sdp must be a string', m.type, 'sdp');
    if (m.sdp.length > MAX_SDP_BYTES) return error(ws, 'field-too-large', 'sdp', m.type, 'sdp');
    out.sdp = m.sdp;
  }
  const target = rooms.get(ws.room).get(m.to);
  if (!target) return error(ws, 'unknown-peer', 'no such peer in your room', m.type);
  send(target, out);
}

function onMessage(ws, data, isBinary) {
  let m;
  try {
    m = JSON.parse(isBinary ? '' : data.toString());
  } catch {
    return error(ws, 'invalid-json', 'the frame is not a JSON object');
  }
  if (m === null || typeof m !== 'object' || Array.isArray(m)) {
    return error(ws, 'invalid-json', 'the frame is not a JSON object');
  }
  switch (m.type) {
    case 'join': return onJoin(ws, m);
    case 'offer': case 'answer': case 'candidate': return onRelay(ws, m);
    case 'bye':
      if (!ws.room) return error(ws, 'not-joined', 'join a room first', 'bye');
      return leave(ws, 'bye');
    case 'ping': return send(ws, { type: 'pong' });
    default: return error(ws, 'unknown-type', 'unknown message type', String(m.type), 'type');
  }
}

const server = http.createServer((req, res) => {
  res.writeHead(req.url === '/healthz' ? 200 : 404, { 'Content-Type': 'text/plain' });
  res.end(req.url === '/healthz' ? 'ok\n' : 'not found\n');
});
const wss = new WebSocketServer({ server, path: '/ws', maxPayload: MAX_MESSAGE_BYTES });
wss.on('connection', (ws) => {
  ws.room = null;
  ws.on('message', (data, isBinary) => onMessage(ws, data, isBinary));
  ws.on('close', () => leave(ws, 'disconnect'));
  ws.on('error', () => {});
});

server.listen(opts.port, opts.host, () => {
  const a = server.address();
  process.stdout.write(`listening http ${a.address}:${a.port}\nready\n`);
});

process.on('SIGTERM', () => {
  for (const ws of wss.clients) ws.close(1001, 'server shutting down');
  server.close();
  setTimeout(() => process.exit(0), 200).unref();
});
