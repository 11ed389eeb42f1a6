// The page's checks (docs/doctor.md): what a browser can measure against the server the page came from,
// each resolving to the facts of one check ({status: 'pass'|'fail'|'unknown', ...}, the shape the verdict
// takes; see verdict.js). Every step has a time limit, so every check resolves.
//
// How a browser sees STUN and TURN: through the ICE candidates of a throw-away RTCPeerConnection. A srflx
// candidate is a STUN answer; a relay candidate a TURN allocation; icecandidateerror carries the STUN
// error code (401, 403, 486) or 701 for no answer. Chromium drops a srflx candidate that equals a local
// address when host addresses are not hidden behind mDNS names, so a gathering that completes quickly
// with no srflx and no error means the server saw this device's own address.

export const STEP_MS = 8000;      // one gathering or connection
const PINGS = 5;
const MEDIA_PACKETS = 200;        // 1000 bytes every 10 ms: 800 kbit/s for 2 s, like the native client
const MEDIA_BYTES = 1000;
const MEDIA_INTERVAL_MS = 10;

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));
const median = (v) => [...v].sort((a, b) => a - b)[Math.floor(v.length / 2)];
const hostPort = (address, port) => (address.includes(':') ? `[${bare(address)}]:${port}` : `${address}:${port}`);
const bare = (address) => address.replace(/^\[(.*)\]$/, '$1');
const hidden = (address) => !address || address.endsWith('.local') || address === '0.0.0.0' || address === '::';

// GET /doctor/config; the server's clock offset against the middle of the request.
export async function fetchOffer() {
  const t0 = Date.now();
  const res = await fetch('/doctor/config', { cache: 'no-store' });
  if (!res.ok) throw new Error(`GET /doctor/config answered ${res.status}`);
  const offer = await res.json();
  const t1 = Date.now();
  return { offer, clockOffsetMs: offer.serverTime ? offer.serverTime - (t0 + t1) / 2 : null };
}

// The signaling WebSocket: open, then five application pings (docs/signaling-protocol.md); RTT is their median.
export function checkSignaling(url) {
  return new Promise((resolve) => {
    const rtts = [];
    let sentAt = 0;
    let settled = false;
    const ws = new WebSocket(url);
    const finish = (result) => {
      if (settled) return;
      settled = true;
      clearTimeout(timer);
      ws.onclose = null;
      ws.close();
      resolve(result);
    };
    const timer = setTimeout(() => finish(rtts.length ? { status: 'pass', rttMs: median(rtts) }
      : { status: 'fail', detail: `no answer within ${STEP_MS / 1000} s` }), STEP_MS);
    const ping = () => {
      sentAt = performance.now();
      ws.send(JSON.stringify({ type: 'ping' }));
    };
    ws.onopen = ping;
    ws.onmessage = (ev) => {
      let msg = null;
      try { msg = JSON.parse(ev.data); } catch { return; }
      if (msg?.type !== 'pong') return;
      rtts.push(performance.now() - sentAt);
      if (rtts.length < PINGS) ping(); else finish({ status: 'pass', rttMs: median(rtts) });
    };
    ws.onclose = (ev) => finish({ status: 'fail', detail: `WebSocket closed with code ${ev.code}` });
  });
}

// Gathers the candidates of one peer connection until gathering completes or `timeoutMs` passes.
export async function gather(config, timeoutMs = STEP_MS) {
  const pc = new RTCPeerConnection(config);
  pc.createDataChannel('doctor');
  const out = { candidates: [], errors: [], complete: false, ms: 0 };
  const t0 = performance.now();
  const done = new Promise((resolve) => {
    const timer = setTimeout(resolve, timeoutMs);
    pc.onicecandidate = (ev) => {
      if (!ev.candidate || !ev.candidate.candidate) {
        out.complete = true;
        clearTimeout(timer);
        return resolve();
      }
      const c = ev.candidate;
      out.candidates.push({ type: c.type, address: c.address || '', port: c.port, protocol: c.protocol,
        relatedAddress: c.relatedAddress || '', relatedPort: c.relatedPort || 0, relayProtocol: c.relayProtocol || null,
        url: ev.url || c.url || '', ms: performance.now() - t0 });
    };
  });
  pc.onicecandidateerror = (ev) => out.errors.push({ url: ev.url || '', code: ev.errorCode, text: ev.errorText || '' });
  await pc.setLocalDescription(await pc.createOffer());
  await done;
  out.ms = performance.now() - t0;
  pc.close();
  return out;
}

const noAnswer = (g) => g.errors.find((e) => e.code === 701) || !g.complete;
const firstHost = (g, v6) => g.candidates.find((c) => c.type === 'host' && c.protocol === 'udp' && !hidden(c.address) &&
  c.address.includes(':') === v6);

// STUN over UDP: the srflx candidate of the offered stun: URL.
export async function checkStun(offer) {
  if (!offer.stun) return { status: 'unknown' };
  const g = await gather({ iceServers: [{ urls: offer.stun }] });
  const srflx = g.candidates.find((c) => c.type === 'srflx' && !c.address.includes(':'));
  if (srflx) {
    const local = hidden(srflx.relatedAddress) ? '' : hostPort(srflx.relatedAddress, srflx.relatedPort);
    const pub = hostPort(srflx.address, srflx.port);
    return { status: 'pass', rttMs: srflx.ms, publicAddress: pub, localAddress: local,
      behindNat: local ? local !== pub : null };
  }
  if (noAnswer(g)) {
    const e = g.errors.find((x) => x.code === 701);
    return { status: 'fail', detail: e ? `error 701: ${e.text}` : `waited ${STEP_MS / 1000} s` };
  }
  const host = firstHost(g, false);
  return { status: 'pass', publicAddress: host ? hostPort(host.address, host.port) : '',
    localAddress: host ? hostPort(host.address, host.port) : '', behindNat: false,
    detail: "the server saw this device's own address" };
}

// RFC 5780 estimate: one peer connection asks the four server addresses from the same UDP socket. A NAT
// with endpoint-independent mapping shows one public address to all (Chromium keeps one candidate), an
// address-dependent one two (one per server IP), an address-and-port-dependent one four.
export async function checkNat(offer, stun) {
  if (!Array.isArray(offer.rfc5780) || offer.rfc5780.length !== 4) return { status: 'unknown' };
  if (stun.status === 'fail') return { status: 'unknown', detail: 'STUN over UDP got no answer' };
  const g = await gather({ iceServers: [{ urls: offer.rfc5780 }] });
  const srflx = g.candidates.filter((c) => c.type === 'srflx' && !c.address.includes(':'));
  const distinct = new Set(srflx.map((c) => hostPort(c.address, c.port)));
  const base = { status: 'pass', method: 'estimate', filtering: 'unknown' };
  if (distinct.size === 0) {
    if (!noAnswer(g) && stun.behindNat === false) return { ...base, mapping: 'none' };
    return { status: 'unknown', detail: 'no server-reflexive candidate' };
  }
  const related = srflx.find((c) => !hidden(c.relatedAddress));
  const portPreserving = related ? related.relatedPort === srflx[0].port : null;
  const mapping = distinct.size === 1 ? 'endpoint-independent'
    : distinct.size === 2 ? 'address-dependent' : 'address-and-port-dependent';
  return { ...base, mapping, portPreserving, detail: `${distinct.size} public address(es) for 4 server addresses` };
}

const ERRORS = { 401: 'unauthorized', 403: 'forbidden', 486: 'quota' };

// TURN over one transport: a relay candidate from the offered URL alone, with the run's credentials.
export async function checkTurn(offer, kind) {
  const url = offer.turn?.[kind];
  if (!url) return { status: 'unknown', offered: false };
  const port = Number(/:(\d+)(\?|$)/.exec(url)?.[1] || (kind === 'tls' ? 5349 : 3478));
  const g = await gather({ iceServers: [{ urls: url, username: offer.turn.username, credential: offer.turn.credential }],
    iceTransportPolicy: 'relay' });
  const relay = g.candidates.find((c) => c.type === 'relay');
  // Allocating takes two round trips (the 401 challenge, then the signed Allocate): half is an upper bound.
  if (relay) return { status: 'pass', offered: true, port, rttMs: relay.ms / 2, relayAddress: hostPort(relay.address, relay.port) };
  const e = g.errors.find((x) => x.code >= 300 && x.code < 700);  // a STUN error code; 7xx are the browser's own
  if (e) return { status: 'fail', offered: true, port, code: e.code, error: ERRORS[e.code] || 'other', detail: e.text };
  return { status: 'fail', offered: true, port, error: 'unreachable', detail: g.complete ? 'connection refused' : 'no answer' };
}

// IPv6: a srflx (or, unhidden, the own address) from the server's IPv6 STUN address.
export async function checkIpv6(offer) {
  if (!offer.stun6) return { status: 'unknown', detail: 'the server offers no IPv6 address' };
  const g = await gather({ iceServers: [{ urls: offer.stun6 }] });
  const srflx = g.candidates.find((c) => c.type === 'srflx' && c.address.includes(':'));
  if (srflx) return { status: 'pass', address: bare(srflx.address) };
  const host = firstHost(g, true);
  if (g.errors.some((e) => e.code === 701)) return { status: 'fail', address: host ? bare(host.address) : '' };
  if (host && g.complete) return { status: 'pass', address: bare(host.address) };
  return { status: 'unknown', detail: host ? 'no answer over IPv6' : 'no IPv6 address seen on this device' };
}

// Two peer connections on this page joined by an unreliable data channel, one forced to relay through `url`;
// loss and throughput from what arrives, the round trip from the selected pair's STUN checks. With
// `toDevice` the other one does not relay (host and srflx candidates only), so the data leaves the relay's
// port for this device's public address, as in a call with a peer outside; without (UDP blocked, or the
// relay may not send to this address) it relays too, and the data goes from one allocation to another.
export async function checkMedia(offer, transport, toDevice) {
  const url = offer.turn?.[transport];
  if (!url) return { status: 'unknown', detail: 'no relay to test' };
  const turn = { urls: url, username: offer.turn.username, credential: offer.turn.credential };
  const a = new RTCPeerConnection({ iceServers: [turn], iceTransportPolicy: 'relay' });
  const b = new RTCPeerConnection(toDevice ? { iceServers: offer.stun ? [{ urls: offer.stun }] : [] }
    : { iceServers: [turn], iceTransportPolicy: 'relay' });
  try {
    return { ...await runMedia(a, b, transport), path: toDevice ? 'relay-to-device' : 'relay-to-relay' };
  } finally {
    a.close();
    b.close();
  }
}

async function runMedia(a, b, transport) {
  a.onicecandidate = (ev) => ev.candidate && b.addIceCandidate(ev.candidate).catch(() => {});
  b.onicecandidate = (ev) => ev.candidate && a.addIceCandidate(ev.candidate).catch(() => {});
  const dc = a.createDataChannel('media', { ordered: false, maxRetransmits: 0 });
  const got = { n: 0, bytes: 0, last: 0 };
  b.ondatachannel = (ev) => {
    ev.channel.onmessage = (m) => {
      got.n += 1;
      got.bytes += m.data.byteLength ?? m.data.length;
      got.last = performance.now();
    };
  };
  await a.setLocalDescription();
  await b.setRemoteDescription(a.localDescription);
  await b.setLocalDescription();
  await a.setRemoteDescription(b.localDescription);
  const opened = await new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), STEP_MS);
    dc.onopen = () => { clearTimeout(timer); resolve(true); };
    a.onconnectionstatechange = () => {
      if (a.connectionState === 'failed') { clearTimeout(timer); resolve(false); }
    };
  });
  if (!opened) {
    return { status: 'fail', transport, detail: `ICE ${a.iceConnectionState} through the relay` };
  }
  const payload = new Uint8Array(MEDIA_BYTES);
  const t0 = performance.now();
  for (let i = 0; i < MEDIA_PACKETS; i++) {
    if (dc.readyState !== 'open') break;
    dc.send(payload);
    await sleep(MEDIA_INTERVAL_MS);
  }
  for (let w = 0; w < 20 && got.n < MEDIA_PACKETS; w++) await sleep(50);  // stragglers, up to 1 s
  const rttMs = await pairRtt(a);
  const sent = MEDIA_PACKETS;
  const seconds = (got.last - t0) / 1000;
  return { status: got.n * 5 >= sent * 4 ? 'pass' : 'fail', transport, sent, received: got.n,
    lossPercent: (100 * (sent - Math.min(got.n, sent))) / sent,
    throughputKbps: got.n > 0 && seconds > 0 ? (got.bytes * 8) / seconds / 1000 : null, rttMs };
}

async function pairRtt(pc) {
  const stats = await pc.getStats();
  let rtt = null;
  stats.forEach((s) => {
    if (s.type === 'candidate-pair' && s.nominated && s.currentRoundTripTime !== undefined) rtt = s.currentRoundTripTime * 1000;
  });
  return rtt;
}
