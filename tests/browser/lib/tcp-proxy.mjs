// A load balancer as small as a test needs: a TCP port that forwards each new connection to the first of its
// backends that accepts one. When a node is drained and stops listening, connections go to the next: how the
// page and the native client reach "another node" after `drain` with one unchanged URL.
import net from 'node:net';

const CONNECT_TIMEOUT_MS = 2000;

export async function startTcpProxy(backends) {
  const proxy = { backends: [...backends], accepted: new Map(), sockets: new Set() };
  const server = net.createServer((client) => {
    proxy.sockets.add(client);
    client.on('close', () => proxy.sockets.delete(client));
    client.pause();
    tryBackend(proxy, client, 0);
  });
  await new Promise((resolve) => server.listen(0, '127.0.0.1', resolve));
  proxy.port = server.address().port;
  proxy.close = () => {
    for (const s of proxy.sockets) s.destroy();
    return new Promise((resolve) => server.close(() => resolve()));
  };
  return proxy;
}

function tryBackend(proxy, client, i) {
  if (i >= proxy.backends.length) {
    client.destroy();
    return;
  }
  const target = proxy.backends[i];
  const upstream = net.connect({ host: '127.0.0.1', port: target, timeout: CONNECT_TIMEOUT_MS });
  const fail = () => {
    upstream.destroy();
    tryBackend(proxy, client, i + 1);
  };
  upstream.once('error', fail);
  upstream.once('timeout', fail);
  upstream.once('connect', () => {
    upstream.off('error', fail);
    upstream.off('timeout', fail);
    upstream.setTimeout(0);
    proxy.accepted.set(target, (proxy.accepted.get(target) || 0) + 1);
    proxy.sockets.add(upstream);
    upstream.on('close', () => proxy.sockets.delete(upstream));
    client.pipe(upstream).pipe(client);
    const end = () => {
      client.destroy();
      upstream.destroy();
    };
    client.on('error', end).on('close', end);
    upstream.on('error', end).on('close', end);
    client.resume();
  });
}
