// What an ordinary Ayame application does, exposed for the tests: connect to a room with a camera stream,
// show the other side's video, and record the SDK's callbacks.
import { createConnection, defaultOptions } from './ayame.mjs';

const state = { opened: false, connected: false, disconnect: null, bye: false, streams: 0, connectResult: null,
  authzMetadata: undefined };
let conn = null;

window.ayameTest = {
  state,
  // Resolves once connect() settles (accept or reject); the call itself goes on in the background.
  async start({ url, roomId, clientId, signalingKey, authnMetadata }) {
    const options = { ...defaultOptions, clientId: clientId ?? defaultOptions.clientId,
      audio: { direction: 'sendrecv', enabled: false }, video: { direction: 'sendrecv', enabled: true } };
    if (signalingKey) options.signalingKey = signalingKey;
    conn = createConnection(url, roomId, options, false);
    conn.on('open', (e) => {
      state.opened = true;
      state.authzMetadata = e?.authzMetadata;
    });
    conn.on('connect', () => { state.connected = true; });
    conn.on('disconnect', (e) => { state.disconnect = e?.reason ?? 'unknown'; });
    conn.on('bye', () => { state.bye = true; });
    conn.on('addstream', (e) => {
      state.streams++;
      document.getElementById('remote').srcObject = e.stream;
    });
    const stream = await navigator.mediaDevices.getUserMedia({
      video: { width: 320, height: 240, frameRate: 15 }, audio: false });
    document.getElementById('local').srcObject = stream;
    try {
      await conn.connect(stream, authnMetadata ? { authnMetadata } : null);
      state.connectResult = 'accepted';
    } catch (err) {
      state.connectResult = String(err);
    }
    return state.connectResult;
  },
  // The peer connection's ICE servers as the SDK configured them (from `accept` when it carries some).
  iceServers() {
    return conn?.peerConnection?.getConfiguration().iceServers ?? null;
  },
  async videoFrames() {
    const pc = conn?.peerConnection;
    if (!pc) return 0;
    let frames = 0;
    (await pc.getStats()).forEach((s) => {
      if (s.type === 'inbound-rtp' && s.kind === 'video') frames = s.framesDecoded || 0;
    });
    return frames;
  },
  async disconnect() {
    await conn?.disconnect();
  },
};
