// The signaling WebSocket (docs/signaling-protocol.md, version 1): one JSON object per text frame.
//
// Reconnects by itself with exponential backoff and jitter when the connection fails or drops, until close()
// is called, and at once (with a little jitter) when the server sends `drain`. Once the server has handed out
// a resume ticket (`joined` with `resume`), a reconnect resumes the session instead of joining again: the
// server writes again what the dead connection lost, and this client sends again what the server did not
// read, so nothing of the call's signaling is lost or doubled (docs/signaling-protocol.md, "Resume").
//
// Events: 'open' (a connection on which the app should join: the first one, or one whose resume was
// refused), 'message' (detail: the parsed message), 'down' (detail: {code, reason, attempt, delayMs}: the
// connection was lost or could not be made, and the next try is in delayMs), 'resumed' (detail: the
// `resumed` message), 'resume-refused' (detail: the error; an 'open' follows at once).

const BACKOFF_FIRST_MS = 500;
const BACKOFF_MAX_MS = 8000;
// The server's idle timeout is 45 s by default; stay well inside it. A dead connection is noticed within
// PING_EVERY_MS + PONG_WAIT_MS (about 13 s), inside the 20 s resume window.
const PING_EVERY_MS = 8000;
const PONG_WAIT_MS = 5000;  // no pong by then: the connection is dead even if TCP has not noticed yet
const DRAIN_RECONNECT_MS = 200; // after `drain`: reconnect within 100-300 ms
const ACK_EVERY = 16;          // acknowledge after this many numbered messages...
const ACK_AFTER_MS = 1000;     // ...or this long after the first one not yet acknowledged
const KEPT_SENT = 512;         // relayed messages kept to send again after a resume
const CLOSE_TO_RESUME = 4001;  // a close code that keeps the session on the server (1000/1001 would end it)
const RELAYED = new Set(['offer', 'answer', 'candidate']);

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
    this.ackTimer = null;
    this.resetSession();
    window.addEventListener('online', () => this.probe());
  }

  get isOpen() {
    return this.ws !== null && this.ws.readyState === WebSocket.OPEN;
  }

  // Whether a ticket is held: a reconnect resumes rather than joins.
  get canResume() {
    return this.ticket !== null;
  }

  resetSession() {
    this.ticket = null;   // {session, secret, window} from the last joined/resumed
    this.lastSeq = 0;     // the last numbered message received
    this.ackedSeq = 0;
    this.sentCount = 0;   // offer/answer/candidate messages sent in this session
    this.sent = [];       // the last KEPT_SENT of them: [{n, text}]
    this.resuming = false;
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
  }

  connect() {
    this.stopped = false;
    clearTimeout(this.retryTimer);
    const ws = new WebSocket(this.url);
    this.ws = ws;
    ws.onopen = () => {
      this.attempt = 0;
      this.startKeepalive();
      if (this.canResume) {
        this.resuming = true;
        ws.send(JSON.stringify({ type: 'resume', session: this.ticket.session, secret: this.ticket.secret,
          seq: this.lastSeq }));
        return;
      }
      this.dispatchEvent(new CustomEvent('open'));
    };
    ws.onmessage = (ev) => this.onFrame(ev.data);
    // 'error' is always followed by 'close', which carries the code; handle the loss once, there.
    ws.onclose = (ev) => {
      if (this.ws === ws) this.onLost(ev.code, ev.reason);
    };
  }

  // Sends a message. Relayed messages of a resumable session are kept (and, while the connection is down or
  // resuming, only kept): they go out again after a resume if the server had not read them.
  send(message) {
    const text = JSON.stringify(message);
    if (this.canResume && RELAYED.has(message.type)) {
      this.sentCount += 1;
      this.sent.push({ n: this.sentCount, text });
      if (this.sent.length > KEPT_SENT) this.sent.shift();
      if (this.isOpen && !this.resuming) this.ws.send(text);
      return true;
    }
    if (!this.isOpen) return false;
    this.ws.send(text);
    return true;
  }

  // Closes for good: no reconnect. The server ends the session at once (close code 1000).
  close() {
    this.stopped = true;
    clearTimeout(this.retryTimer);
    this.stopKeepalive();
    this.resetSession();
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
    if (Number.isInteger(msg.seq)) {
      if (msg.seq <= this.lastSeq) return; // already had it (the server never sends one twice; be safe)
      this.lastSeq = msg.seq;
      this.scheduleAck();
    }
    switch (msg.type) {
      case 'pong':
        clearTimeout(this.pongTimer);
        this.pongTimer = null;
        return;
      case 'drain':
        this.reconnectSoon();
        return;
      case 'joined':
        this.resetSession();
        if (msg.resume) this.ticket = msg.resume;
        break;
      case 'resumed':
        return this.onResumed(msg);
      case 'error':
        if (msg.ref === 'resume') return this.onResumeRefused(msg);
        break;
      default:
        break;
    }
    this.dispatchEvent(new CustomEvent('message', { detail: msg }));
  }

  onResumed(msg) {
    this.ticket = msg.resume;
    this.resuming = false;
    // What the server did not read went down with the old connection: send it again, in order.
    for (const { n, text } of this.sent) {
      if (n > msg.received) this.ws.send(text);
    }
    this.dispatchEvent(new CustomEvent('resumed', { detail: msg }));
  }

  onResumeRefused(msg) {
    console.warn(`signaling: resume refused (${msg.reason || msg.code}): ${msg.message}; joining again`);
    this.resetSession();
    this.dispatchEvent(new CustomEvent('resume-refused', { detail: msg }));
    this.dispatchEvent(new CustomEvent('open'));
  }

  scheduleAck() {
    if (this.lastSeq - this.ackedSeq >= ACK_EVERY) return this.sendAck();
    if (this.ackTimer === null) this.ackTimer = setTimeout(() => this.sendAck(), ACK_AFTER_MS);
  }

  sendAck() {
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (!this.isOpen || this.resuming || this.lastSeq === this.ackedSeq) return;
    this.ws.send(JSON.stringify({ type: 'ack', seq: this.lastSeq }));
    this.ackedSeq = this.lastSeq;
  }

  onLost(code, reason) {
    this.stopKeepalive();
    this.ws = null;
    this.resuming = false;
    clearTimeout(this.ackTimer);
    this.ackTimer = null;
    if (this.stopped) return;
    this.attempt += 1;
    const delayMs = backoffDelay(this.attempt);
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
    this.dispatchEvent(new CustomEvent('down', { detail: { code, reason, attempt: this.attempt, delayMs } }));
  }

  // The server is going away (SIGTERM on a node): leave it now and connect again, which a load balancer sends
  // to another node; the session resumes there. The jitter spreads a drained node's clients over a few
  // hundred milliseconds.
  reconnectSoon() {
    const ws = this.ws;
    if (!ws) return;
    this.ws = null; // makes its later 'close' event a no-op
    this.stopKeepalive();
    ws.close(this.canResume ? CLOSE_TO_RESUME : 1000, 'drain');
    this.attempt = 0;
    clearTimeout(this.retryTimer);
    const delayMs = Math.round(DRAIN_RECONNECT_MS * (0.5 + Math.random()));
    this.retryTimer = setTimeout(() => this.connect(), delayMs);
    this.dispatchEvent(new CustomEvent('down', { detail: { code: 1001, reason: 'drain', attempt: 0, delayMs } }));
  }

  startKeepalive() {
    this.stopKeepalive();
    this.pingTimer = setInterval(() => this.probe(), PING_EVERY_MS);
  }

  // A ping that must be answered within PONG_WAIT_MS; also when the browser says the network is back.
  probe() {
    if (!this.isOpen || this.pongTimer) return;
    this.ws.send(JSON.stringify({ type: 'ping' }));
    this.pongTimer = setTimeout(() => this.dropDeadSocket(), PONG_WAIT_MS);
  }

  // A silent peer can keep a TCP connection "open" for minutes; do not wait for its closing handshake.
  dropDeadSocket() {
    this.pongTimer = null;
    const ws = this.ws;
    if (!ws) return;
    this.ws = null; // makes its later 'close' event a no-op
    ws.close(CLOSE_TO_RESUME, 'no pong');
    this.onLost(CLOSE_TO_RESUME, 'no pong within ' + PONG_WAIT_MS / 1000 + ' s');
  }

  stopKeepalive() {
    clearInterval(this.pingTimer);
    clearTimeout(this.pongTimer);
    this.pingTimer = null;
    this.pongTimer = null;
  }
}

// Exponential backoff with ±20 % jitter, so that pages dropped together by a server restart do not all
// come back in the same millisecond.
export function backoffDelay(attempt) {
  const base = Math.min(BACKOFF_MAX_MS, BACKOFF_FIRST_MS * 2 ** (attempt - 1));
  return Math.round(base * (0.8 + 0.4 * Math.random()));
}
