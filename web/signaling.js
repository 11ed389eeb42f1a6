// The signaling WebSocket (docs/signaling-protocol.md, version 1): one JSON object per text frame.
//
// Reconnects by itself with exponential backoff when the connection fails or drops, until close() is
// called, and at once (with a little jitter) when the server sends `drain`. Events: 'open', 'message' (detail: the parsed message), 'down' (detail: {code, reason, attempt,
// delayMs}: the connection was lost or could not be made, and the next try is in delayMs).

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 8000;
const PING_EVERY_MS = 20000; // the server's idle timeout is 45 s by default; stay well inside it
const PONG_WAIT_MS = 10000;  // no pong by then: the connection is dead even if TCP has not noticed yet
const DRAIN_RECONNECT_MS = 200; // after `drain`: reconnect within 100-300 ms

export class SignalingClient extends EventTarget {
  constructor(url) {
    super();
    this.url = url;
    this.ws = null;
    this.attempt = 0;     // failed attempts since the last successful open
    this.stopped = false;
    this.retryTimer = null;
    this.pingTimer = null;
    this.pongTimer = null;
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.startKeepalive();
      this.dispatchEvent(new CustomEvent('open'));
    };
    ws.onmessage = (ev) => this.onFrame(ev.data);
    // 'error' is always followed by 'close', which carries the code; handle the loss once, there.
    ws.onclose = (ev) => {
      if (this.ws === ws) this.onLost(ev.code, ev.reason);
    };
  }

  send(message) {
    if (!this.isOpen) return false;
    this.ws.send(JSON.stringify(message));
    return true;
  }

  // Closes for good: no reconnect.
  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopKeepalive();
    if (this.ws) {
      const ws = this.ws;
      this.ws = null;
      ws.close(1000);
    }
  }

  onFrame(data) {
    let msg;
    try {
      msg = JSON.parse(data);
    } catch {
      console.warn('signaling: ignoring a frame that is not JSON');
      return;
    }
    if (typeof msg !== 'object' || msg === null || typeof msg.type !== 'string') return;
    if (msg.type === 'pong') {
      clearTimeout(this.pongTimer);
      return;
    }
    if (msg.type === 'drain') {
      this.reconnectSoon();
      return;
    }
    this.dispatchEvent(new CustomEvent('message', { detail: msg }));
  }

  onLost(code, reason) {
    this.stopKeepalive();
    this.ws = null;
    if (this.stopped) return;
    this.attempt += 1;
    const delayMs = backoffDelay(this.attempt);
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
    this.dispatchEvent(new CustomEvent('down', { detail: { code, reason, attempt: this.attempt, delayMs } }));
  }

  // The server is going away (SIGTERM on a node): leave it now and connect again, which a load balancer sends
  // to another node. The jitter spreads a drained node's clients over a few hundred milliseconds.
  reconnectSoon() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null; // makes its later 'close' event a no-op
    this.stopKeepalive();
    ws.close(1000);
    this.attempt = 0;
    clearTimeout(this.retryTimer);
    const delayMs = Math.round(DRAIN_RECONNECT_MS * (0.5 + Math.random()));
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
    this.dispatchEvent(new CustomEvent('down', { detail: { code: 1001, reason: 'drain', attempt: 0, delayMs } }));
  }

  startKeepalive() {
    this.stopKeepalive();
    this.pingTimer = setInterval(() => {
      if (!this.send({ type: 'ping' })) return;
      clearTimeout(this.pongTimer);
      this.pongTimer = setTimeout(() => this.dropDeadSocket(), PONG_WAIT_MS);
    }, PING_EVERY_MS);
  }

  // A silent peer can keep a TCP connection "open" for minutes; do not wait for its closing handshake.
  dropDeadSocket() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null; // makes its later 'close' event a no-op
    ws.close(4001, 'no pong');
    this.onLost(4001, 'no pong within ' + PONG_WAIT_MS / 1000 + ' s');
  }

  stopKeepalive() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
  }
}

// Exponential backoff with ±20 % jitter, so that pages dropped together by a server restart do not all
// come back in the same millisecond.
export function backoffDelay(attempt) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + 0.4 * Math.random()));
}
