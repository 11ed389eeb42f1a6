// Entry point: reads the page options, wires signaling, call and UI together, and exposes the state on
// `window.signalbox` for people debugging in the console and for the browser tests.

import { parseOptions, ROOM_PATTERN } from './config.js';
import { SignalingClient } from './signaling.js';
import { Call, MediaProblem } from './call.js';
import { selectedPair, inboundCounters } from './stats.js';
import * as ui from './ui.js';

const MEDIA_TEXT = {
  'insecure-context': 'The camera only works on a secure page: open this page over https:// (start signalbox ' +
    'with --self-signed or a certificate) or on localhost. You can still watch and listen.',
  'camera-denied': 'Camera and microphone access was denied. Allow it in the browser\'s site settings and ' +
    'reload the page; until then you can only watch and listen.',
  'no-camera': 'No camera or microphone was found. You can still watch and listen.',
  'camera-busy': 'The camera or microphone is in use by another application. Close it and reload the page.',
  'camera-error': 'Could not start the camera or microphone',
};

const opts = parseOptions(location);

// The one state object. `state` is the page's phase: idle | starting | connecting | in-call |
// reconnecting | room-full | denied | failed | ended.
const state = {
  state: 'starting',
  room: opts.room,
  name: opts.name,
  id: null,
  signaling: 'closed',
  peers: {},    // id → {id, name, connectionState, iceConnectionState, pair, pairType, left, leftReason}
  pcs: {},      // id → RTCPeerConnection
  streams: {},  // id → remote MediaStream
  localStream: null,
  micMuted: false,
  cameraOff: false,
  iceServers: [],
  rtcConfig: null,
  lastError: null, // {code, message, at}
  errors: [],
  reconnects: 0,
  resumes: 0,          // dropped connections resumed with the call intact
  resumeRefusals: 0,   // resumes the server refused (the page then joined again)
  received: {},        // signaling messages received, by type
  iceRestarts: 0,      // ICE restart offers made (a media path that broke)
  newSessions: 0,      // offers of a new session (a peer that made a new peer connection), answered with a new one
  restartIce: null,    // (peer id) => void: an ICE restart offer to that peer (the side that offered first)
  options: opts,
  // For tests and debugging: per peer, connection state, selected pair and inbound RTP counters.
  async readStats() {
    const out = {};
    for (const [id, pc] of Object.entries(state.pcs)) {
      out[id] = { connectionState: pc.connectionState, pair: await selectedPair(pc),
        inbound: await inboundCounters(pc) };
    }
    return out;
  },
};
window.signalbox = state;

const update = () => ui.render(state);

function setError(code, message) {
  state.lastError = { code, message, at: Date.now() };
  state.errors = [...state.errors, state.lastError].slice(-50); // a long outage retries for hours
  console.warn(`signalbox: ${code}: ${message}`);
  update();
}

function clearError(code) {
  if (state.lastError && state.lastError.code === code) state.lastError = null;
}

async function main() {
  ui.bindJoinForm(opts);
  if (!opts.room || !ROOM_PATTERN.test(opts.room)) {
    state.state = 'idle';
    if (opts.room) setError('bad-room', `"${opts.room}" is not a valid room name: use 1–64 letters, digits, _ . -`);
    update();
    return;
  }
  document.title = `${opts.room} · signalbox`;
  const signaling = new SignalingClient(opts.signalingUrl);
  const call = new Call({ state, signaling, opts, notify: update, report: setError });
  state.restartIce = (id) => call.restartIce(id);
  ui.bindControls({
    onMic: () => call.setMicMuted(!state.micMuted),
    onCamera: () => call.setCameraOff(!state.cameraOff),
    onHangUp: () => hangUp(signaling, call, 'ended'),
    onRejoin: () => location.reload(),
  });
  update();

  try {
    await call.startMedia();
  } catch (err) {
    if (!(err instanceof MediaProblem)) throw err;
    setError(err.code, err.code === 'camera-error' ? `${MEDIA_TEXT[err.code]}: ${err.message}` : MEDIA_TEXT[err.code]);
  }
  if (state.state === 'ended') {
    // Hung up while the camera was starting.
    for (const t of state.localStream?.getTracks() || []) t.stop();
    return;
  }

  state.state = 'connecting';
  signaling.addEventListener('open', () => {
    state.signaling = 'open';
    // `resume: true`: a dropped connection is resumed, and the call goes on (docs/signaling-protocol.md).
    const join = { type: 'join', room: opts.room, resume: true };
    if (opts.name) join.name = opts.name;
    if (opts.token) join.token = opts.token;
    signaling.send(join);
    update();
  });
  signaling.addEventListener('resumed', () => {
    state.signaling = 'open';
    state.state = 'in-call';
    state.resumes += 1;
    clearError('server-unreachable');
    call.onResumed();
    update();
  });
  signaling.addEventListener('resume-refused', (ev) => {
    state.resumeRefusals += 1;
    setError('resume-refused', `The server could not resume this call (${ev.detail.reason || ev.detail.code}); ` +
      'joining again.');
  });
  signaling.addEventListener('down', (ev) => onSignalingDown(ev.detail));
  signaling.addEventListener('message', (ev) => onMessage(signaling, call, ev.detail));
  signaling.connect();
  update();
}

function onMessage(signaling, call, msg) {
  state.received[msg.type] = (state.received[msg.type] || 0) + 1;
  if (msg.type === 'error') return onServerError(signaling, call, msg);
  if (msg.type === 'joined') {
    state.state = 'in-call';
    clearError('server-unreachable');
    clearError('resume-refused');
  }
  call.handle(msg);
  update();
}

// What a person can do about each access-control refusal (docs/auth.md). The server closes the connection
// after these; the page does not retry.
function authText(code, message) {
  if (code === 'token-expired') return 'This link has expired. Ask whoever sent it for a new one.';
  if (code === 'token-not-yet-valid') return 'This link is not valid yet. Check that this computer\'s clock is right.';
  if (code === 'token-wrong-room') return `This link is not valid for room ${opts.room}.`;
  if (code === 'token-required') {
    return 'This server admits only invited participants: open the link you were given (it contains a token).';
  }
  if (code === 'token-wrong-audience' || code === 'token-wrong-issuer') return 'This link was made for another server.';
  if (code.startsWith('token-')) return 'This link is not valid: it may be incomplete, or it was signed with a key this server does not accept.';
  if (code === 'auth-denied') return `You were not admitted: ${message}`;
  if (code === 'auth-blocked') return 'Too many failed attempts from your network. Try again in a minute.';
  if (code === 'auth-timeout') return 'Joining took too long. Reload the page to try again.';
  if (code.startsWith('auth-')) return 'The server could not check your access right now. Try again in a moment.';
  return null;
}

function onServerError(signaling, call, msg) {
  const auth = msg.ref === 'join' || msg.code === 'auth-timeout' ? authText(msg.code || '', msg.message) : null;
  if (auth) {
    hangUp(signaling, call, 'denied');
    setError(msg.code, auth);
  } else if (msg.code === 'room-full') {
    hangUp(signaling, call, 'room-full');
    setError('room-full', `Can't join: ${capitalized(msg.message)}. Try again later or choose another room.`);
  } else if (msg.ref === 'join') {
    hangUp(signaling, call, 'failed');
    setError(msg.code, `Could not join the room: ${msg.message}`);
  } else {
    setError(msg.code, `The server refused a ${msg.ref || 'message'}: ${msg.message}`);
  }
}

function capitalized(text) {
  return text ? text[0].toUpperCase() + text.slice(1) : text;
}

function onSignalingDown({ code, reason, attempt, delayMs }) {
  state.signaling = 'closed';
  state.state = 'reconnecting';
  state.reconnects += 1;
  if (reason === 'drain') {
    setError('server-unreachable', 'The server is going away; reconnecting (possibly to another server)…');
    return;
  }
  const why = {
    1001: 'The server is restarting',
    1008: 'The server closed the connection (too many messages)',
    4000: 'The server dropped this page (its connection was too slow)',
  }[code] || `Cannot reach the signalbox server at ${opts.signalingUrl}`;
  setError('server-unreachable', `${why}. Reconnecting in ${(delayMs / 1000).toFixed(1)} s (attempt ${attempt})…`);
}

function hangUp(signaling, call, endState) {
  if (state.state === 'in-call') signaling.send({ type: 'bye' }); // the others learn at once why we left
  signaling.close();
  call.hangUp();
  state.signaling = 'closed';
  state.state = endState;
  update();
}

main().catch((err) => setError('internal', `Something went wrong: ${err.message}`));
