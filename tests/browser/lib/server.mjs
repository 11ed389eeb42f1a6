// Starting and stopping a real `signalbox` process for one test.
//
// The binary comes from SIGNALBOX_BIN (default build/release/src/server/signalbox). It listens on port 0
// unless told otherwise and prints `listening http|https HOST:PORT` (and possibly more `listening ...`
// lines for other services) followed by `ready`. Every process started here is stopped by PID (see
// tracked-process.mjs); stop() sends SIGTERM, on which the server closes every WebSocket with 1001 and exits 0.
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { TrackedProcess, isStopping } from './tracked-process.mjs';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const SIGNALBOX_BIN = process.env.SIGNALBOX_BIN || path.join(REPO_ROOT, 'build/release/src/server/signalbox');

const START_TIMEOUT_MS = 15000;
const STOP_TIMEOUT_MS = 5000;

export class SignalboxServer extends TrackedProcess {
  constructor(proc) {
    super(proc, { stopTimeoutMs: STOP_TIMEOUT_MS });
    this.output = [];      // stdout + stderr lines, for diagnostics when a test fails
    this.listening = {};   // service → its first "HOST:PORT", e.g. {http: "127.0.0.1:40123", 'stun-udp': ...}
    this.endpoints = [];   // every {service, hostPort} printed, in order
  }

  get scheme() {
    return this.listening.https ? 'https' : 'http';
  }

  get hostPort() {
    return this.listening.https || this.listening.http;
  }

  get port() {
    return Number(this.hostPort.split(':').pop());
  }

  get url() {
    return `${this.scheme}://${this.hostPort}`;
  }

  addLine(line) {
    this.output.push(line);
    if (this.output.length > 2000) this.output.splice(0, 1000);
  }

  log() {
    return this.output.slice(-60).join('\n');
  }
}

// Starts signalbox with `args` (added after the defaults) and resolves once it printed `ready`.
export async function startServer({ listen = '127.0.0.1:0', args = [] } = {}) {
  if (isStopping()) throw new Error('the test process is stopping');
  if (!fs.existsSync(SIGNALBOX_BIN)) throw new Error(`signalbox binary not found: ${SIGNALBOX_BIN} (build it first)`);
  // STUN/TURN on free ports unless the test chooses: the default 3478 may be held by another signalbox on
  // this machine, and signalbox refuses a port someone else holds. The advertised URLs name the bound ports.
  const stunArgs = args.includes('--stun-listen') ? [] : ['--stun-listen', '0.0.0.0:0', '--stun-listen', '[::]:0'];
  const fullArgs = ['--listen', listen, ...stunArgs, ...webRootArgs(), ...args];
  return startListening(SIGNALBOX_BIN, fullArgs);
}

// Starts any program that announces itself as signalbox does (`listening SCHEME HOST:PORT` lines, then
// `ready`), e.g. the reference PeerJS server of lib/peer-reference.mjs, and tracks it by PID.
export async function startListening(bin, args) {
  if (isStopping()) throw new Error('the test process is stopping');
  const proc = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'] });
  const server = new SignalboxServer(proc);
  try {
    await waitReady(server);
  } catch (err) {
    await server.stop('SIGKILL');
    throw new Error(`${err.message}\n$ ${bin} ${args.join(' ')}\n${server.log()}`);
  }
  return server;
}

// By default the page is the one embedded in the binary (what users get). SIGNALBOX_WEB_ROOT=DIR serves
// web/ from disk instead, to iterate on the page without rebuilding.
function webRootArgs() {
  return process.env.SIGNALBOX_WEB_ROOT ? ['--web-root', process.env.SIGNALBOX_WEB_ROOT] : [];
}

function waitReady(server) {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`the server did not print "ready" in ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS);
    const onLine = (line) => {
      server.addLine(line);
      const m = /^listening (\S+) (\S+)$/.exec(line.trim());
      if (m) {
        server.listening[m[1]] ??= m[2];
        server.endpoints.push({ service: m[1], hostPort: m[2] });
      }
      if (line.trim() === 'ready') {
        clearTimeout(timer);
        if (server.hostPort) resolve();
        else reject(new Error('signalbox printed "ready" before any "listening http|https HOST:PORT" line'));
      }
    };
    lines(server.proc.stdout, onLine);
    lines(server.proc.stderr, (line) => server.addLine(line));
    server.exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`the server exited early (code ${code}, signal ${signal})`));
    });
  });
}

function lines(stream, onLine) {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (chunk) => {
    buf += chunk;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      onLine(buf.slice(0, i));
      buf = buf.slice(i + 1);
    }
  });
}
