// A mesh call: one RTCPeerConnection per remote peer, negotiated through the signaling server.
//
// The flow is the textbook one, on purpose: the newcomer offers to every peer already in the room
// (createOffer → setLocalDescription → send); the other side answers (setRemoteDescription → createAnswer
// → setLocalDescription → send back); both trickle ICE candidates, which are queued until the remote
// description is set. Only the side that offered first ever offers again (an ICE restart when the media path
// broke, RFC 8445 section 9), so there is no offer glare to resolve. A native client that offered makes a new
// peer connection instead (its ICE agent cannot gather again): its offer then has a new o= session id, and this
// side answers it with a new RTCPeerConnection too.
//
// State lives in the page's one state object (window.signalbox), which this class mutates and then
// reports through `notify()`. Messages for one peer are handled strictly in order (a promise chain per
// peer), because each step awaits the previous one.

import { rtcConfiguration } from './config.js';
import { selectedPair } from './stats.js';

const STATS_EVERY_MS = 1000;
const DISCONNECTED_GRACE_MS = 2000; // ICE 'disconnected' this long: restart (it often recovers by itself)
const MAX_ICE_RESTARTS = 5;         // in a row without getting connected again

export class Call {
  constructor({ state, signaling, opts, notify, report }) {
    this.state = state;
    this.signaling = signaling;
    this.opts = opts;
    this.notify = notify;    // () => void: state changed
    this.report = report;    // (code, message) => void: something the user should read
    this.rtcConfig = null;
    this.chains = new Map();  // peer id → promise chain serializing that peer's messages
    this.pending = new Map(); // peer id → ICE candidates received before the remote description
    this.statsTimer = setInterval(() => this.pollStats(), STATS_EVERY_MS);
  }

  // getUserMedia, mapped to errors a person can act on. Without local media the call still receives.
  async startMedia() {
    if (!window.isSecureContext || !navigator.mediaDevices?.getUserMedia) {
      throw new MediaProblem('insecure-context');
    }
    try {
      this.state.localStream = await navigator.mediaDevices.getUserMedia({
        audio: true,
        video: this.opts.video,
      });
    } catch (err) {
      const code = { NotAllowedError: 'camera-denied', SecurityError: 'camera-denied',
        NotFoundError: 'no-camera', NotReadableError: 'camera-busy' }[err.name] || 'camera-error';
      throw new MediaProblem(code, err.message);
    }
  }

  handle(msg) {
    switch (msg.type) {
      case 'joined': return this.onJoined(msg);
      case 'peer-joined': return this.onPeerJoined(msg);
      case 'peer-left': return this.onPeerLeft(msg);
      case 'offer': return this.serialize(msg.from, () => this.onOffer(msg));
      case 'answer': return this.serialize(msg.from, () => this.onAnswer(msg));
      case 'candidate': return this.serialize(msg.from, () => this.onCandidate(msg));
      case 'peer-reconnecting': return this.onPeerStatus(msg.id, true);
      case 'peer-resumed': return this.onPeerStatus(msg.id, false);
      default: return undefined;
    }
  }

  onJoined(msg) {
    // A rejoin after a reconnect gets a new id; connections made under the old one are stale.
    this.closeAll();
    this.state.peers = {};
    this.state.id = msg.id;
    this.state.room = msg.room;
    this.useIceServers(msg.iceServers || []);
    for (const p of msg.peers || []) {
      this.state.peers[p.id] = { ...newPeer(p.id, p.name, p.identity, p.meta), initiator: true };
      // Inside the peer's chain, so that a configuration RTCPeerConnection refuses (e.g. an ICE server URL
      // with port 0) is reported like any other negotiation failure instead of escaping unseen.
      this.serialize(p.id, () => {
        this.addPeer(p.id, p.name);
        return this.offerTo(p.id);
      });
    }
    this.notify();
  }

  onPeerJoined(msg) {
    // Someone who left and came back: the "left" notice about them is old news.
    for (const p of Object.values(this.state.peers)) {
      if (p.left && msg.name && p.name === msg.name) delete this.state.peers[p.id];
    }
    // The newcomer offers; here we only show that someone is coming.
    this.state.peers[msg.id] = newPeer(msg.id, msg.name, msg.identity, msg.meta);
    // Fresh TURN credentials for the connection about to be made (the ones in `joined` may have expired
    // while this page waited alone).
    if (Array.isArray(msg.iceServers)) this.useIceServers(msg.iceServers);
    this.notify();
  }

  // A peer's signaling connection dropped (and came back): the call itself goes on meanwhile.
  onPeerStatus(id, reconnecting) {
    const peer = this.state.peers[id];
    if (!peer) return;
    peer.reconnecting = reconnecting;
    this.notify();
  }

  // Our own session resumed after a dropped connection: nothing of the signaling was lost, but the media path
  // may have broken too (a new network): restart ICE where it did.
  onResumed() {
    for (const [id, pc] of Object.entries(this.state.pcs)) {
      if (['disconnected', 'failed'].includes(pc.iceConnectionState)) this.maybeRestartIce(id);
    }
  }

  onPeerLeft(msg) {
    this.closePeer(msg.id);
    const peer = this.state.peers[msg.id] || newPeer(msg.id, '');
    this.state.peers[msg.id] = { ...peer, left: true, leftReason: msg.reason || 'bye', connectionState: 'closed' };
    this.notify();
  }

  useIceServers(iceServers) {
    this.state.iceServers = iceServers;
    try {
      this.rtcConfig = rtcConfiguration(this.state.iceServers, this.opts);
    } catch (err) {
      this.report('bad-ice-option', `The ?ice= option is not valid: ${err.message}`);
      this.rtcConfig = rtcConfiguration(this.state.iceServers, { ...this.opts, ice: '' });
    }
    this.state.rtcConfig = this.rtcConfig;
  }

  addPeer(id, name) {
    const pc = new RTCPeerConnection(this.rtcConfig);
    const local = this.state.localStream;
    if (local) {
      for (const track of local.getTracks()) pc.addTrack(track, local);
    }
    if (!this.state.peers[id]) this.state.peers[id] = newPeer(id, name);
    this.state.pcs[id] = pc;
    this.pending.set(id, []);
    this.watch(id, pc);
    return pc;
  }

  watch(id, pc) {
    let gathered = 0; // local candidates of the current gathering round
    pc.onicegatheringstatechange = () => {
      if (pc.iceGatheringState === 'gathering') gathered = 0;
    };
    pc.onicecandidate = (ev) => {
      if (ev.candidate?.candidate) gathered += 1;
      // A null candidate is the end of candidates; it is relayed as such.
      this.signaling.send({ type: 'candidate', to: id, candidate: ev.candidate ? ev.candidate.toJSON() : null });
      if (!ev.candidate && gathered === 0) this.report('no-candidates', this.noCandidatesText(id));
    };
    pc.onicecandidateerror = (ev) => {
      // E.g. 401 from a TURN server that rejects the credentials, 701 when a server does not answer.
      const peer = this.state.peers[id];
      const text = `${ev.url || 'ICE server'}: ${ev.errorCode} ${ev.errorText || ''}`.trim().replace(/\.$/, '');
      if (peer && !peer.iceErrors.includes(text)) peer.iceErrors = [...peer.iceErrors, text].slice(-5);
    };
    pc.ontrack = (ev) => {
      this.state.streams[id] = ev.streams[0] || new MediaStream([ev.track]);
      this.notify();
    };
    pc.onconnectionstatechange = () => this.onConnectionState(id, pc);
    pc.oniceconnectionstatechange = () => this.onIceState(id, pc);
  }

  onConnectionState(id, pc) {
    const peer = this.state.peers[id];
    if (!peer || this.state.pcs[id] !== pc) return;
    peer.connectionState = pc.connectionState;
    if (pc.connectionState === 'connected') peer.restarts = 0;
    if (pc.connectionState === 'failed' && !this.maybeRestartIce(id)) {
      const how = this.rtcConfig.iceTransportPolicy === 'relay' ? 'through the TURN relay' : 'on any path';
      const why = peer.iceErrors.length ? ` ICE server errors: ${peer.iceErrors.join('; ')}` : '';
      this.report('ice-failed', `Could not connect to ${label(peer)} ${how} (ICE failed).${why}`);
    }
    this.notify();
  }

  // A path that stays 'disconnected' (consent lost: RFC 7675) or 'failed' is restarted by the side that offered.
  onIceState(id, pc) {
    const peer = this.state.peers[id];
    if (!peer || this.state.pcs[id] !== pc) return;
    peer.iceConnectionState = pc.iceConnectionState;
    clearTimeout(peer.disconnectedTimer);
    if (pc.iceConnectionState === 'disconnected') {
      peer.disconnectedTimer = setTimeout(() => {
        if (this.state.pcs[id] === pc && pc.iceConnectionState === 'disconnected') this.maybeRestartIce(id);
      }, DISCONNECTED_GRACE_MS);
    }
  }

  // An ICE restart (RFC 8445 section 9: new credentials, new candidates, same call) by the side that offered
  // first, at most MAX_ICE_RESTARTS times until it connects again. While signaling is down the offer waits in
  // the signaling client and goes out with the resume. False when this side does not restart.
  maybeRestartIce(id) {
    const peer = this.state.peers[id];
    if (!peer || !peer.initiator || peer.restarts >= MAX_ICE_RESTARTS) return false;
    peer.restarts += 1;
    this.restartIce(id);
    return true;
  }

  restartIce(id) {
    const pc = this.state.pcs[id];
    if (!pc) return;
    this.state.iceRestarts += 1;
    pc.restartIce();
    this.serialize(id, () => this.offerTo(id));
  }

  noCandidatesText(id) {
    const peer = this.state.peers[id];
    const errors = peer?.iceErrors.length ? ` Errors: ${peer.iceErrors.join('; ')}.` : '';
    if (this.rtcConfig.iceTransportPolicy === 'relay') {
      // 401 after the challenge was answered: RFC 8656 section 7.2 / RFC 8489 section 9.2.4.
      const refused = peer?.iceErrors.some((e) => /: 401\b/.test(e));
      const why = refused ? 'the TURN server refused the credentials (401 Unauthorized)'
        : 'the TURN server could not be reached or refused the credentials';
      return `No relay candidate: ${why}.${errors}`;
    }
    return `No ICE candidates could be gathered (no usable network interface?).${errors}`;
  }

  async offerTo(id, options = {}) {
    const pc = this.state.pcs[id];
    if (pc.getTransceivers().length === 0) {
      // No local media (camera denied): still ask for the other side's audio and video.
      pc.addTransceiver('audio', { direction: 'recvonly' });
      pc.addTransceiver('video', { direction: 'recvonly' });
    }
    const offer = await pc.createOffer(options);
    await pc.setLocalDescription(offer);
    this.signaling.send({ type: 'offer', to: id, sdp: pc.localDescription.sdp });
  }

  async onOffer(msg) {
    let pc = this.state.pcs[msg.from];
    if (pc && startsNewSession(pc.remoteDescription, msg.sdp)) pc = this.renewPeer(msg.from);
    pc ||= this.addPeer(msg.from, this.state.peers[msg.from]?.name);
    await pc.setRemoteDescription({ type: 'offer', sdp: msg.sdp });
    await this.flushCandidates(msg.from, pc);
    const answer = await pc.createAnswer();
    await pc.setLocalDescription(answer);
    this.signaling.send({ type: 'answer', to: msg.from, sdp: pc.localDescription.sdp });
  }

  // The peer replaced its peer connection (a new session): the old one here is dead too. Runs in the peer's chain.
  renewPeer(id) {
    this.dropConnection(id);
    this.state.newSessions += 1;
    return this.addPeer(id, this.state.peers[id]?.name);
  }

  async onAnswer(msg) {
    const pc = this.state.pcs[msg.from];
    if (!pc) return;
    await pc.setRemoteDescription({ type: 'answer', sdp: msg.sdp });
    await this.flushCandidates(msg.from, pc);
  }

  async onCandidate(msg) {
    const pc = this.state.pcs[msg.from];
    if (!pc) return;
    if (!pc.remoteDescription) {
      this.pending.get(msg.from).push(msg.candidate);
      return;
    }
    await addCandidate(pc, msg.candidate);
  }

  async flushCandidates(id, pc) {
    const queued = this.pending.get(id) || [];
    this.pending.set(id, []);
    for (const c of queued) await addCandidate(pc, c);
  }

  serialize(id, step) {
    const prev = this.chains.get(id) || Promise.resolve();
    const next = prev.then(step).catch((err) => {
      const peer = this.state.peers[id];
      this.report('webrtc-error', `Negotiation with ${peer ? label(peer) : 'a peer'} failed: ${err.message}`);
    });
    this.chains.set(id, next);
    return next;
  }

  async pollStats() {
    for (const [id, pc] of Object.entries(this.state.pcs)) {
      if (pc.connectionState !== 'connected') continue;
      const pair = await selectedPair(pc).catch(() => null);
      const peer = this.state.peers[id];
      if (!peer || this.state.pcs[id] !== pc) continue;
      const before = JSON.stringify(peer.pair);
      peer.pair = pair;
      peer.pairType = pair ? pair.local : null;
      if (JSON.stringify(pair) !== before) this.notify();
    }
  }

  setMicMuted(muted) {
    for (const t of this.state.localStream?.getAudioTracks() || []) t.enabled = !muted;
    this.state.micMuted = muted;
    this.notify();
  }

  setCameraOff(off) {
    for (const t of this.state.localStream?.getVideoTracks() || []) t.enabled = !off;
    this.state.cameraOff = off;
    this.notify();
  }

  closePeer(id) {
    this.dropConnection(id);
    this.pending.delete(id);
    this.chains.delete(id);
  }

  // Ends the peer connection with `id` and forgets its stream; the peer and its message chain stay.
  dropConnection(id) {
    clearTimeout(this.state.peers[id]?.disconnectedTimer);
    const pc = this.state.pcs[id];
    if (pc) pc.close();
    delete this.state.pcs[id];
    delete this.state.streams[id];
  }

  closeAll() {
    for (const id of Object.keys(this.state.pcs)) this.closePeer(id);
  }

  hangUp() {
    this.closeAll();
    this.state.peers = {};
    clearInterval(this.statsTimer);
    for (const t of this.state.localStream?.getTracks() || []) t.stop();
    this.notify();
  }
}

export class MediaProblem extends Error {
  constructor(code, detail = '') {
    super(detail || code);
    this.code = code;
  }
}

// `identity` and `meta` come from access control (docs/auth.md): who the server admitted, and what it passes on.
function newPeer(id, name, identity, meta) {
  return { id, name: name || '', identity: identity || '', meta: meta ?? null, connectionState: 'new',
    iceConnectionState: 'new', pair: null, pairType: null, left: false, leftReason: null, initiator: false,
    restarts: 0, reconnecting: false, disconnectedTimer: null, iceErrors: [] };
}

export function label(peer) {
  const who = peer.name || peer.identity || `peer ${peer.id.slice(0, 6)}`;
  return peer.identity && peer.name && peer.identity !== peer.name ? `${who} (${peer.identity})` : who;
}

// RFC 3264 section 8 and JSEP keep the o= session id for every later offer of a session: an offer with another id
// than the last remote offer's is a new session (a new peer connection on the other side).
function startsNewSession(lastRemote, sdp) {
  if (!lastRemote || lastRemote.type !== 'offer') return false;
  const before = sessionId(lastRemote.sdp);
  const now = sessionId(sdp);
  return before !== null && now !== null && before !== now;
}

function sessionId(sdp) {
  const m = /^o=\S+ (\d+) /m.exec(sdp || '');
  return m ? m[1] : null;
}

// addIceCandidate(null) would be wrong for old browsers; an empty candidate string means end of
// candidates to every current one (W3C webrtc-pc, addIceCandidate).
async function addCandidate(pc, candidate) {
  try {
    await pc.addIceCandidate(candidate === null ? { candidate: '' } : candidate);
  } catch (err) {
    // One bad candidate does not break the call; ICE works with the others.
    console.warn('addIceCandidate failed:', err.message, candidate);
  }
}
