// What an ordinary PeerJS application does, exposed for the tests: open a Peer, make and accept data
// connections and media calls, and record what arrives.
'use strict';
(() => {
  const state = { id: null, errors: [], received: [], opened: [], calls: {}, connections: {}, disconnected: false };
  let peer = null;
  let localStream = null;

  async function media() {
    if (!localStream) {
      localStream = await navigator.mediaDevices.getUserMedia({
        video: { width: 320, height: 240, frameRate: 15 }, audio: false });
      document.getElementById('local').srcObject = localStream;
    }
    return localStream;
  }

  function wireData(conn) {
    state.connections[conn.connectionId] = conn;
    conn.on('open', () => state.opened.push({ peer: conn.peer, connectionId: conn.connectionId,
      serialization: conn.serialization }));
    conn.on('data', (data) => state.received.push({ peer: conn.peer, serialization: conn.serialization, data }));
    conn.on('error', (err) => state.errors.push({ type: err.type, message: String(err.message) }));
  }

  function wireCall(call) {
    state.calls[call.connectionId] = call;
    call.on('stream', (stream) => {
      const video = document.createElement('video');
      Object.assign(video, { autoplay: true, muted: true, playsInline: true, width: 160 });
      video.srcObject = stream;
      document.getElementById('remote').appendChild(video);
    });
    call.on('error', (err) => state.errors.push({ type: err.type, message: String(err.message) }));
  }

  window.pjs = {
    state,
    // Opens a Peer; resolves with {id} on `open` or {error, message} on the first error.
    start({ id, options }) {
      return new Promise((resolve) => {
        peer = id ? new Peer(id, options) : new Peer(options);
        peer.on('open', (pid) => {
          state.id = pid;
          resolve({ id: pid });
        });
        peer.on('error', (err) => {
          state.errors.push({ type: err.type, message: String(err.message) });
          resolve({ error: err.type, message: String(err.message) });
        });
        peer.on('connection', wireData);
        peer.on('call', async (call) => {
          call.answer(await media());
          wireCall(call);
        });
        peer.on('disconnected', () => { state.disconnected = true; });
      });
    },
    connect(dst, serialization) {
      const conn = peer.connect(dst, serialization ? { serialization, reliable: true } : { reliable: true });
      wireData(conn);
      return conn.connectionId;
    },
    send(connectionId, data) {
      state.connections[connectionId].send(data);
    },
    // Sends `data` on every open data connection with `serialization`.
    sendAll(serialization, data) {
      let n = 0;
      for (const conn of Object.values(state.connections)) {
        if (conn.open && conn.serialization === serialization) {
          conn.send(data);
          n++;
        }
      }
      return n;
    },
    async call(dst) {
      const call = peer.call(dst, await media());
      wireCall(call);
      return call.connectionId;
    },
    // framesDecoded of every call's inbound video, by connection id.
    async videoFrames() {
      const out = {};
      for (const [cid, call] of Object.entries(state.calls)) {
        const pc = call.peerConnection;
        if (!pc) continue;
        const stats = await pc.getStats();
        stats.forEach((s) => {
          if (s.type === 'inbound-rtp' && s.kind === 'video') out[cid] = s.framesDecoded || 0;
        });
      }
      return out;
    },
    // The token the Peer registered its id with (PeerOptions.token, random unless the app chose one).
    token() {
      return peer.options.token;
    },
    // What an app does after a network drop: leave the server and come back with the same id and token.
    reconnect() {
      peer.disconnect();
      peer.reconnect();
      return { disconnected: peer.disconnected, destroyed: peer.destroyed };
    },
    destroy() {
      if (peer) peer.destroy();
    },
  };
})();
