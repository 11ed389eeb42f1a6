// A scripted WebSocket client for wire-level tests (PeerJS and Ayame differential and bad-input tests): it
// records every frame and the close, and waits on them with bounded timeouts.
import WebSocket from 'ws';

const DEFAULT_WAIT_MS = 5000;

export class WireClient {
  constructor(url, { name = url } = {}) {
    this.name = name;
    this.url = url;
    this.frames = [];   // parsed JSON where it parses, else {raw: text}
    this.closed = null; // {code, reason} once closed
    this.waiters = [];
    this.ws = new WebSocket(url);
    this.ws.on('message', (data) => {
      const text = data.toString();
      let frame;
      try {
        frame = JSON.parse(text);
      } catch {
        frame = { raw: text };
      }
      this.frames.push(frame);
      this.wake();
    });
    this.ws.on('close', (code, reason) => {
      this.closed = { code, reason: reason.toString() };
      this.wake();
    });
    this.ws.on('error', (err) => {
      this.error = err;
      this.wake();
    });
    this.opened = new Promise((resolve) => {
      this.ws.once('open', () => resolve(true));
      this.ws.once('close', () => resolve(false));
      this.ws.once('unexpected-response', (req, res) => {
        this.rejected = { status: res.statusCode };
        resolve(false);
      });
    });
  }

  wake() {
    for (const w of [...this.waiters]) w();
  }

  // Resolves once `predicate()` holds; rejects after `timeout` with `what` and what was received.
  until(predicate, what, timeout = DEFAULT_WAIT_MS) {
    return new Promise((resolve, reject) => {
      const check = () => {
        if (!predicate()) return false;
        clearTimeout(timer);
        this.waiters = this.waiters.filter((w) => w !== check);
        resolve();
        return true;
      };
      const timer = setTimeout(() => {
        this.waiters = this.waiters.filter((w) => w !== check);
        reject(new Error(`${this.name}: timed out after ${timeout} ms waiting for ${what}; ` +
          `frames ${JSON.stringify(this.frames)}, closed ${JSON.stringify(this.closed)}`));
      }, timeout);
      if (!check()) this.waiters.push(check);
    });
  }

  // Waits for the frame number `index` (0-based) and returns it.
  async frame(index, timeout) {
    await this.until(() => this.frames.length > index, `frame #${index}`, timeout);
    return this.frames[index];
  }

  waitClosed(timeout) {
    return this.until(() => this.closed !== null, 'the close', timeout).then(() => this.closed);
  }

  send(value) {
    this.ws.send(typeof value === 'string' ? value : JSON.stringify(value));
  }

  sendBinary(buffer) {
    this.ws.send(buffer, { binary: true });
  }

  close() {
    if (this.ws.readyState === WebSocket.OPEN || this.ws.readyState === WebSocket.CONNECTING) this.ws.close();
  }

  terminate() {
    this.ws.terminate();
  }
}
