// A TCP proxy a test controls, between a page and signalbox: it forwards every connection to the target and
// can cut the WebSocket connections it carries, in two ways a real network does:
//   - 'reset': both sides' sockets are destroyed at once (the page sees its WebSocket close with 1006, the
//     server an end without a close frame);
//   - 'blackhole': nothing passes any more in either direction but both sockets stay open (a phone that left
//     its Wi-Fi: neither end notices until its own keepalive says so).
// New connections are forwarded normally after a cut, as a network that came back; while `down` is set they
// are refused (reset at once), as a network that is still away.
import net from 'node:net';

export async function startCutProxy({ targetHost, targetPort }) {
  const links = new Set(); // {client, upstream, isWebSocket, cut}
  const state = { down: false };
  const server = net.createServer((client) => {
    if (state.down) {
      client.resetAndDestroy();
      return;
    }
    const upstream = net.connect(targetPort, targetHost);
    const link = { client, upstream, isWebSocket: false, cut: false, firstChunk: true };
    links.add(link);
    const forward = (from, to, fromClient) => {
      from.on('data', (chunk) => {
        if (fromClient && link.firstChunk) {
          link.firstChunk = false;
          link.isWebSocket = /^GET \/ws[ ?]/.test(chunk.toString('latin1', 0, 16));
        }
        if (!link.cut) to.write(chunk);
      });
      from.on('end', () => { if (!link.cut) to.end(); });
    };
    forward(client, upstream, true);
    forward(upstream, client, false);
    const drop = () => {
      links.delete(link);
      client.destroy();
      upstream.destroy();
    };
    client.on('error', drop);
    upstream.on('error', drop);
    client.on('close', () => { if (!link.cut) drop(); });
    upstream.on('close', () => { if (!link.cut) drop(); });
  });
  await new Promise((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  const { port } = server.address();
  return {
    port,
    set down(value) { state.down = value; },
    get down() { return state.down; },
    url: `http://127.0.0.1:${port}`,
    // Cuts every WebSocket connection open now; returns how many.
    cutWebSockets(mode = 'reset') {
      let n = 0;
      for (const link of [...links]) {
        if (!link.isWebSocket || link.cut) continue;
        n += 1;
        link.cut = true;
        if (mode === 'reset') {
          link.client.resetAndDestroy();
          link.upstream.resetAndDestroy();
          links.delete(link);
        }
      }
      return n;
    },
    openWebSockets() {
      return [...links].filter((l) => l.isWebSocket && !l.cut).length;
    },
    async stop() {
      for (const link of links) {
        link.client.destroy();
        link.upstream.destroy();
      }
      links.clear();
      await new Promise((resolve) => server.close(resolve));
    },
  };
}
