// A throwaway redis-server for one test (a cluster of signalbox nodes needs one): on a free loopback port,
// nothing saved to disk, stopped by PID like every process here (tracked-process.mjs). A missing redis-server
// fails the test: scripts/setup installs it.
import { spawn } from 'node:child_process';
import net from 'node:net';
import readline from 'node:readline';
import { TrackedProcess, isStopping } from './tracked-process.mjs';

const START_TIMEOUT_MS = 10000;

export class RedisServer extends TrackedProcess {
  constructor(proc, port) {
    super(proc, { pidName: `redis-${proc.pid}` });
    this.port = port;
    this.output = [];
  }

  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
}

// A port nobody listens on right now.
export function freePort() {
  return new Promise((resolve, reject) => {
    const s = net.createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => resolve(port));
    });
  });
}

export async function startRedis() {
  if (isStopping()) throw new Error('the test process is stopping');
  const port = await freePort();
  const proc = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--save', '', '--appendonly',
    'no', '--logfile', ''], { stdio: ['ignore', 'pipe', 'pipe'] });
  const redis = new RedisServer(proc, port);
  await new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`redis-server not ready in ${START_TIMEOUT_MS} ms`)),
      START_TIMEOUT_MS);
    readline.createInterface({ input: proc.stdout }).on('line', (line) => {
      redis.output.push(line);
      if (line.includes('Ready to accept connections')) {
        clearTimeout(timer);
        resolve();
      }
    });
    redis.exited.then(({ code, signal, error }) => {
      clearTimeout(timer);
      reject(new Error(`redis-server exited early (code ${code}, signal ${signal}${error ? `, ${error}` : ''}):\n` +
        redis.output.join('\n')));
    });
  }).catch(async (err) => {
    await redis.stop('SIGKILL');
    throw err;
  });
  return redis;
}
