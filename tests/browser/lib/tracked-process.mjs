// A child process that a test owns (a signalbox server, a native client), always stopped by PID: by the
// test's own clean-up (stop), by an exit hook of this process, and, if node itself is killed, by
// tests/browser/run, which kills every PID whose file is left in SB_PID_DIR.
import fs from 'node:fs';
import path from 'node:path';

const running = new Set();
let stopping = false;

process.on('exit', () => {
  for (const p of running) p.killNow();
});
// `run`'s time limit signals the whole process group: stop every child before this process goes.
for (const sig of ['SIGTERM', 'SIGINT', 'SIGHUP']) {
  process.once(sig, () => {
    stopping = true;
    for (const p of running) p.killNow();
    process.exit(1);
  });
}

// True once this process was told to stop: starting new children then would leak them.
export function isStopping() {
  return stopping;
}

export class TrackedProcess {
  // `pidName` names the file in SB_PID_DIR; `stopTimeoutMs` is how long stop() waits before SIGKILL.
  constructor(proc, { pidName = String(proc.pid), stopTimeoutMs = 5000 } = {}) {
    this.proc = proc;
    this.pid = proc.pid;
    this.stopTimeoutMs = stopTimeoutMs;
    this.exited = new Promise((resolve) => {
      proc.once('exit', (code, signal) => resolve({ code, signal }));
      proc.once('error', (err) => resolve({ code: null, signal: null, error: err.message }));
    });
    this.pidFile = process.env.SB_PID_DIR ? path.join(process.env.SB_PID_DIR, pidName) : null;
    if (this.pidFile) fs.writeFileSync(this.pidFile, `${proc.pid}\n`);
    running.add(this);
  }

  get alive() {
    return this.proc.exitCode === null && this.proc.signalCode === null;
  }

  // Sends `signal` and waits for the exit (SIGKILL if it does not come in time); resolves {code, signal}.
  async stop(signal = 'SIGTERM') {
    if (this.alive) {
      this.proc.kill(signal);
      const timer = setTimeout(() => this.killNow(), this.stopTimeoutMs);
      await this.exited;
      clearTimeout(timer);
    }
    this.forget();
    return this.exited;
  }

  killNow() {
    if (this.alive) this.proc.kill('SIGKILL');
    this.forget();
  }

  forget() {
    running.delete(this);
    if (this.pidFile) fs.rmSync(this.pidFile, { force: true });
  }
}
