// The reference PeerJS server, `peer` 1.0.2 from npm (the committed lockfile), for differential tests and the
// benchmark. Run as a program it starts one PeerServer on 127.0.0.1 with the options given as one JSON
// argument (the library's own option names: key, path, expire_timeout, alive_timeout, concurrent_limit,
// allow_discovery, cleanup_out_msgs) on the port given (0: a free one), and announces itself the way
// signalbox does: `listening http HOST:PORT`, then `ready`. Imported, it starts that program as a tracked
// child process.
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const SELF = fileURLToPath(import.meta.url);

export async function startPeerReference(options = {}) {
  // Imported here, not at the top: the child process must not load the parent's process tracking.
  const { startListening } = await import('./server.mjs');
  return startListening(process.execPath, [SELF, JSON.stringify(options)]);
}

async function main() {
  const { PeerServer } = await import('peer');
  const options = JSON.parse(process.argv[2] || '{}');
  const server = PeerServer({ host: '127.0.0.1', port: 0, ...options }, (http) => {
    const { address, port } = http.address();
    process.stdout.write(`listening http ${address}:${port}\nready\n`);
  });
  server.on('error', (err) => process.stderr.write(`peer: ${err?.message ?? err}\n`));
  const stop = () => process.exit(0);
  process.on('SIGTERM', stop);
  process.on('SIGINT', stop);
}

if (process.argv[1] && path.resolve(process.argv[1]) === SELF) await main();
