// Starting, watching and stopping a real `signalbox-client` (the native GStreamer client) for one test.
//
// The binary comes from SIGNALBOX_CLIENT_BIN, by default the client built next to SIGNALBOX_BIN
// (build/release/src/client/signalbox-client). Its stdout carries only `event <name> <args>` lines
// (docs/native-client.md); tests wait on those. Like the servers of server.mjs, every client started here is
// stopped by PID (see tracked-process.mjs).
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import readline from 'node:readline';
import { SIGNALBOX_BIN } from './server.mjs';
import { TrackedProcess } from './tracked-process.mjs';

export const CLIENT_BIN = process.env.SIGNALBOX_CLIENT_BIN ||
  path.join(path.dirname(SIGNALBOX_BIN), '..', 'client', 'signalbox-client');

const STOP_TIMEOUT_MS = 10000; // SIGTERM → bye, pipeline to NULL, WebSocket close (bounded to 1.5 s)

export function clientBinaryExists() {
  return fs.existsSync(CLIENT_BIN);
}

export class NativeClient extends TrackedProcess {
  constructor(proc, args) {
    super(proc, { pidName: `client-${proc.pid}`, stopTimeoutMs: STOP_TIMEOUT_MS });
    this.args = args;
    this.events = [];   // every stdout line ("event ..."), in order
    this.stderr = [];   // the last log lines, for failure messages
    this.waiters = new Set();
    this.exited.then(() => this.forget());
    // Waiters give up once the process is gone and its last line was read (stdout closes after 'exit').
    this.stdoutClosed = false;
    readline.createInterface({ input: proc.stdout }).on('line', (line) => this.onEvent(line)).on('close', () => {
      this.stdoutClosed = true;
      this.exited.then(() => {
        for (const w of this.waiters) w.check(true);
      });
    });
    readline.createInterface({ input: proc.stderr }).on('line', (line) => {
      this.stderr.push(line);
      if (this.stderr.length > 400) this.stderr.splice(0, 200);
    });
  }

  onEvent(line) {
    this.events.push(line);
    for (const w of this.waiters) w.check(false);
  }

  // Resolves with the first event line (from the start of the run, or from event number `from`) matching `re`,
  // as its match array, for which `accept(match)` holds. Rejects after `timeout` ms or when the client exits
  // first.
  waitEvent(re, { timeout = 30000, accept = () => true, what = String(re), from = 0 } = {}) {
    return new Promise((resolve, reject) => {
      let seen = from;
      const waiter = {
        check: (gone) => {
          for (; seen < this.events.length; seen++) {
            const m = re.exec(this.events[seen]);
            if (m && accept(m)) return done(null, m);
          }
          if (gone) done(new Error(`signalbox-client exited (${this.exitText()}) before ${what}`));
        },
      };
      const timer = setTimeout(() => done(new Error(`timed out after ${timeout} ms waiting for ${what}`)),
        timeout);
      const done = (err, m) => {
        clearTimeout(timer);
        this.waiters.delete(waiter);
        if (err) reject(new Error(`${err.message}\n${this.describe()}`));
        else resolve(m);
      };
      this.waiters.add(waiter);
      waiter.check(this.stdoutClosed && (this.proc.exitCode !== null || this.proc.signalCode !== null));
    });
  }

  exitText() {
    return `code ${this.proc.exitCode}, signal ${this.proc.signalCode}`;
  }

  describe() {
    return `$ ${CLIENT_BIN} ${this.args.join(' ')}\n  events:\n    ${this.events.slice(-25).join('\n    ')}\n` +
      `  log:\n    ${this.stderr.slice(-25).join('\n    ')}`;
  }
}

// Starts signalbox-client with `args`; it runs until stopped (or until its own --timeout).
export function startNativeClient(args) {
  if (!clientBinaryExists()) throw new Error(`signalbox-client not found: ${CLIENT_BIN} (build it first)`);
  const proc = spawn(CLIENT_BIN, args, { stdio: ['pipe', 'pipe', 'pipe'] });
  return new NativeClient(proc, args);
}
