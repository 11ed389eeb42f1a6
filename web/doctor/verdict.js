// The doctor's verdict for the page: a pure function of the measured facts. The same rules and words as
// the C++ core (src/doctor/verdict.cpp, evidence.cpp, words.cpp), which the native client and the server
// use; tests/doctor/vectors.json checks both against the same facts (tests/doctor/verdict.test.mjs here,
// tests/unit/doctor in C++). Change both, then the vectors. No DOM here: node runs this file too.
//
// Facts are the "facts" object of a report (docs/doctor.md): {client, server, signaling, stun, nat,
// turnUdp, turnTcp, turnTls, ipv6, media}; missing fields take the defaults of normalizeFacts().

const CHECK_DEFAULTS = {
  client: { kind: '', agent: '', turnTls: true },
  server: { url: '', stun: false, rfc5780: false, relayToRelay: null, relayToDevice: null },
  signaling: { status: 'unknown', rttMs: null, clockOffsetMs: null, detail: '' },
  stun: { status: 'unknown', rttMs: null, publicAddress: '', localAddress: '', behindNat: null, detail: '' },
  nat: { status: 'unknown', method: '', mapping: 'unknown', filtering: 'unknown', portPreserving: null, detail: '' },
  turn: { status: 'unknown', offered: false, port: 0, error: 'none', code: 0, rttMs: null, relayAddress: '', detail: '' },
  ipv6: { status: 'unknown', address: '', detail: '' },
  media: { status: 'unknown', transport: '', path: '', error: 'none', code: 0, sent: 0, received: 0, lossPercent: null,
    throughputKbps: null, rttMs: null, detail: '' },
};

export const VERDICT_CODES = [
  'no-signaling', 'no-stun-turn', 'public-address', 'direct', 'symmetric-relay', 'symmetric-no-relay',
  'relay-available', 'direct-only', 'udp-blocked-relay', 'udp-blocked-tls-only', 'udp-blocked-no-relay',
  'udp-blocked-relay-fails', 'relay-no-media',
];

// Every field present, nulls for unknown numbers (what the C++ side's defaults are).
export function normalizeFacts(f = {}) {
  const pick = (value, defaults) => {
    const out = { ...defaults };
    for (const k of Object.keys(defaults)) if (value?.[k] !== undefined && value[k] !== null) out[k] = value[k];
    return out;
  };
  return {
    client: pick(f.client, CHECK_DEFAULTS.client),
    server: pick(f.server, CHECK_DEFAULTS.server),
    signaling: pick(f.signaling, CHECK_DEFAULTS.signaling),
    stun: pick(f.stun, CHECK_DEFAULTS.stun),
    nat: pick(f.nat, CHECK_DEFAULTS.nat),
    turnUdp: pick(f.turnUdp, CHECK_DEFAULTS.turn),
    turnTcp: pick(f.turnTcp, CHECK_DEFAULTS.turn),
    turnTls: pick(f.turnTls, CHECK_DEFAULTS.turn),
    ipv6: pick(f.ipv6, CHECK_DEFAULTS.ipv6),
    media: pick(f.media, CHECK_DEFAULTS.media),
  };
}

// --- words (src/doctor/words.cpp) ---------------------------------------------------------------------

function ms(v) {
  const r = Math.round(v);
  return r <= 0 ? '<1' : String(r);
}

function whole(v) {
  return String(Math.round(v));
}

function joinAnd(parts) {
  return parts.map((p, i) => (i === 0 ? '' : i + 1 === parts.length ? ' and ' : ', ') + p).join('');
}

function usableRelays(f) {
  const out = [];
  if (f.turnUdp.status === 'pass') out.push({ name: 'UDP', check: f.turnUdp });
  if (f.turnTcp.status === 'pass') out.push({ name: 'TCP', check: f.turnTcp });
  if (f.turnTls.status === 'pass' && f.client.turnTls) out.push({ name: 'TLS', check: f.turnTls });
  return out;
}

function anyRelayOffered(f) {
  return f.turnUdp.offered || f.turnTcp.offered || f.turnTls.offered;
}

function relayWaysText(f) {
  return `over ${joinAnd(usableRelays(f).map((w) => w.name))}`;
}

function relayRefusal(f) {
  for (const t of [f.turnUdp, f.turnTcp, f.turnTls]) {
    if (t.status === 'fail' && t.error !== 'unreachable' && t.error !== 'none') return t.error;
  }
  return 'none';
}

// --- the verdict (src/doctor/verdict.cpp) ---------------------------------------------------------------

const make = (code, severity, text) => ({ code, severity, text, evidence: [], operator: '' });

const udpWorks = (f) => f.stun.status === 'pass' || f.turnUdp.status === 'pass';

function udpBlocked(f) {
  if (udpWorks(f)) return false;
  return f.stun.status === 'fail' || (f.turnUdp.offered && f.turnUdp.error === 'unreachable');
}

const relayNeededButSilent = (f) => usableRelays(f).length > 0 && f.media.status === 'fail';

const relayNoMedia = () => make('relay-no-media', 'bad',
  'Your network needs the TURN relay, which accepts this device but did not carry data in the test: ' +
  'calls that need the relay will fail.');

function blocked(f) {
  if (usableRelays(f).length > 0) {
    const tls = f.turnTls.status === 'pass' && f.client.turnTls;
    const t = tls ? f.turnTls : f.turnTcp;
    return make('udp-blocked-relay', 'warn', 'UDP is blocked: calls will only connect through the TURN relay over ' +
      (tls ? 'TLS, which works here (turns: on port ' : 'TCP, which works here (port ') + `${t.port}).`);
  }
  if (f.turnTls.status === 'pass') {
    return make('udp-blocked-tls-only', 'bad', 'UDP is blocked and only TURN over TLS gets through, which this ' +
      'client cannot use: calls from it will fail, while a web browser on this network will connect.');
  }
  if (!anyRelayOffered(f)) {
    return make('udp-blocked-no-relay', 'bad',
      'UDP is blocked and this server offers no TURN relay: calls cannot connect from this network.');
  }
  return make('udp-blocked-relay-fails', 'bad', 'UDP is blocked and the TURN relay cannot be used over TCP or TLS ' +
    'either: calls cannot connect from this network.');
}

function symmetric(f) {
  const per = f.nat.mapping === 'address-dependent' ? 'per destination address' : 'per destination';
  if (usableRelays(f).length > 0) {
    return make('symmetric-relay', 'warn', `Your network changes its public port ${per} (symmetric NAT): calls to ` +
      `peers behind similar NATs need the TURN relay, which works here ${relayWaysText(f)}.`);
  }
  return make('symmetric-no-relay', 'bad', `Your network changes its public port ${per} (symmetric NAT) and no ` +
    'TURN relay works here: calls to peers behind similar NATs will fail.');
}

function unknownNat(f) {
  if (usableRelays(f).length > 0) {
    return make('relay-available', 'ok', 'Calls will work: directly where the networks allow it, otherwise ' +
      `through the TURN relay, which works here ${relayWaysText(f)}.`);
  }
  return make('direct-only', 'warn', 'Direct calls may work, but no TURN relay works here: calls to peers behind ' +
    'strict NATs or firewalls will fail.');
}

function headline(f) {
  if (f.signaling.status === 'fail') {
    return make('no-signaling', 'bad', 'This device cannot reach the signalbox server, so calls cannot start.');
  }
  if (!f.server.stun && !anyRelayOffered(f)) {
    return make('no-stun-turn', 'warn', 'This server offers neither STUN nor TURN: only devices that can reach ' +
      'each other directly (the same network, public addresses) will connect.');
  }
  if (udpBlocked(f)) return relayNeededButSilent(f) ? relayNoMedia() : blocked(f);
  if (f.stun.behindNat === false || f.nat.mapping === 'none') {
    return make('public-address', 'ok', 'This device has a public address (no NAT): direct calls will work with ' +
      'most peers.');
  }
  switch (f.nat.mapping) {
    case 'endpoint-independent': return make('direct', 'ok', 'Direct calls will work with most peers.');
    case 'address-dependent':
    case 'address-and-port-dependent':
      return relayNeededButSilent(f) ? relayNoMedia() : symmetric(f);
    default: return unknownNat(f);
  }
}

function mediaProblem(f) {
  const m = f.media;
  if (m.status !== 'fail') return '';
  const toDevice = m.path === 'relay-to-device';
  if (toDevice && (m.error === 'forbidden' || f.server.relayToDevice === false)) {
    return "The relay refuses to send to this device's address (403: its peer policy denies private and special " +
      'ranges): allow the range users call from with --allow-peer if they are meant to reach the relay from it.';
  }
  if (m.error === 'forbidden' || (!toDevice && f.server.relayToRelay === false)) {
    return 'The relay refuses to relay between two of its own allocations (peer policy), so two users who both ' +
      'need it cannot call each other: allow relay-to-relay (--allow-peer RELAY-IP/32).';
  }
  if (m.path === 'relay-to-relay') {
    return "Allocations work but data between two of them does not flow: see the relay's log and " +
      'signalbox_turn_dropped_packets_total.';
  }
  return 'Allocations work but relayed data does not reach users: open the relay port range (--turn-min-port to ' +
    "--turn-max-port, UDP) in the server's firewall and check --turn-external-address.";
}

function relayProblem(f) {
  switch (relayRefusal(f)) {
    case 'unauthorized':
      return 'The relay refused the credentials this server minted (401): every signalbox behind this address ' +
        "must share --turn-secret, and the server's clock must be right.";
    case 'forbidden': return 'The relay refused this device (403 Forbidden): check the TURN access rules.';
    case 'quota':
      return 'The relay is at its allocation quota (486): raise --turn-user-quota or --turn-max-allocations, or ' +
        'add relay capacity.';
    case 'tls':
      return 'TURN over TLS failed its handshake: give --turn-tls-cert a certificate that clients trust for this ' +
        "server's name.";
    default: break;
  }
  return mediaProblem(f);
}

function portsText(f) {
  const p = [];
  if (f.turnUdp.offered) p.push(`UDP ${f.turnUdp.port}`);
  if (f.turnTcp.offered) p.push(`TCP ${f.turnTcp.port}`);
  if (f.turnTls.offered) p.push(`TLS ${f.turnTls.port}`);
  return joinAnd(p);
}

function noRelayLine(f) {
  if (!anyRelayOffered(f)) {
    return "Run signalbox's TURN relay (it is on unless --no-turn): users on networks like this one need it.";
  }
  return `The TURN relay is offered but cannot be reached from here: open its ports (${portsText(f)}) in the ` +
    "server's firewall.";
}

function operatorLine(v, f) {
  const p = relayProblem(f);
  if (p) return p;
  const c = v.code;
  if (c === 'no-signaling') {
    return "Make signalbox's HTTP/WebSocket port reachable from users' networks (firewall, proxy, TLS certificate).";
  }
  if (c === 'no-stun-turn') return 'Run STUN and TURN (drop --no-stun and --no-turn).';
  if (c === 'public-address' || c === 'direct') {
    if (usableRelays(f).length > 0) return 'Nothing to change for this network; keep TURN running for users on stricter ones.';
    return noRelayLine(f);
  }
  if (c === 'symmetric-relay') {
    return `Keep TURN ${relayWaysText(f)} running and size its bandwidth: users on networks like this one relay ` +
      'every call with peers behind similar NATs.';
  }
  if (c === 'relay-available') {
    return "Enable RFC 5780 discovery (--stun-alt-address) so that the doctor can tell users' NAT types.";
  }
  if (c === 'udp-blocked-relay' && f.turnTls.status === 'pass' && f.turnTls.port === 443) {
    return 'TURN over TLS on port 443 is what lets users on networks like this one in: keep it.';
  }
  if (c === 'udp-blocked-no-relay') {
    return "Run signalbox's TURN relay (it is on unless --no-turn) with TCP and TLS, and turns: on port 443, which " +
      'passes most firewalls: users behind firewalls that block UDP need it.';
  }
  if (c === 'udp-blocked-relay' || c === 'udp-blocked-relay-fails') {
    return 'Users behind firewalls that block UDP reach the relay only over TCP or TLS: offer both, and turns: on ' +
      'port 443 (--stun-tls-listen with a certificate), which passes most firewalls.';
  }
  if (c === 'udp-blocked-tls-only') {
    return 'Networks like this one let only TURN over TLS through, which native clients (libnice) cannot use: ' +
      'also offer TURN over TCP on a port such networks pass.';
  }
  return noRelayLine(f);
}

export function decide(facts) {
  const f = normalizeFacts(facts);
  const v = headline(f);
  v.evidence = evidence(f);
  v.operator = operatorLine(v, f);
  return v;
}

// --- evidence (src/doctor/evidence.cpp) -----------------------------------------------------------------

const paren = (s) => (s ? ` (${s})` : '');

function signalingLine(s) {
  if (s.status === 'fail') return `Signaling: not reachable${paren(s.detail)}.`;
  if (s.status === 'unknown') return 'Signaling: not tested.';
  let out = `Signaling: reachable${s.rttMs !== null ? `, round trip ${ms(s.rttMs)} ms` : ''}.`;
  if (s.clockOffsetMs !== null && Math.abs(s.clockOffsetMs) >= 60000) {
    out += ` This device's clock is ${whole(Math.abs(s.clockOffsetMs) / 1000)} s off the server's.`;
  }
  return out;
}

function stunLine(f) {
  const s = f.stun;
  if (s.status === 'fail') return `STUN over UDP: no answer${paren(s.detail)}.`;
  if (s.status === 'unknown') return f.server.stun ? 'STUN over UDP: not tested.' : 'STUN: not offered by this server.';
  let out = `STUN over UDP: public address ${s.publicAddress}${s.rttMs !== null ? ` in ${ms(s.rttMs)} ms` : ''}`;
  if (s.behindNat === true) out += `; behind NAT${s.localAddress ? ` (local address ${s.localAddress})` : ''}`;
  if (s.behindNat === false) out += '; not behind NAT';
  return `${out}.`;
}

const MAPPING_MEANING = {
  'endpoint-independent': 'the same public port for every destination',
  'address-dependent': 'a new public port per destination address',
  'address-and-port-dependent': 'a new public port per destination',
};

function natLine(f) {
  const n = f.nat;
  if (n.status === 'unknown') {
    if (!f.server.rfc5780) return 'NAT type: not tested (the server has no --stun-alt-address).';
    return `NAT type: unknown${paren(n.detail)}.`;
  }
  if (n.status === 'fail') return `NAT type: the tests failed${paren(n.detail)}.`;
  if (n.mapping === 'none') return "NAT: none (the public address is this device's own).";
  let out = `NAT (${n.method === 'rfc5780' ? 'RFC 5780 tests' : 'estimated from several server addresses'}): ` +
    `${n.mapping} mapping`;
  if (n.filtering !== 'unknown') out += `, ${n.filtering} filtering`;
  if (n.portPreserving === true) out += ', port-preserving';
  if (MAPPING_MEANING[n.mapping]) out += `; ${MAPPING_MEANING[n.mapping]}`;
  return `${out}.`;
}

function turnErrorWords(t) {
  switch (t.error) {
    case 'unreachable': return `no answer (port ${t.port} unreachable)`;
    case 'unauthorized': return '401 Unauthorized (credentials refused)';
    case 'forbidden': return '403 Forbidden';
    case 'quota': return '486 Allocation Quota Reached';
    case 'tls': return 'the TLS handshake failed';
    default: return `error ${t.code}`;
  }
}

function turnLine(label, t, usableInCalls) {
  const head = `TURN over ${label}: `;
  if (!t.offered) return `${head}not offered by this server.`;
  if (t.status === 'unknown') return `${head}not tested.`;
  if (t.status === 'fail') return `${head}${turnErrorWords(t)}.`;
  return `${head}relayed address ${t.relayAddress}${t.rttMs !== null ? ` in ${ms(t.rttMs)} ms` : ''}` +
    `${usableInCalls ? '' : ' (this client cannot use TURN over TLS in calls)'}.`;
}

function ipv6Line(v) {
  if (v.status === 'pass') return `IPv6: works${paren(v.address)}.`;
  if (v.status === 'fail') return 'IPv6: this device has an IPv6 address but cannot reach the server over it.';
  return `IPv6: not available${paren(v.detail)}.`;
}

// "(udp, relay to this device)": how the data went.
function mediaHow(m) {
  const parts = [];
  if (m.transport) parts.push(m.transport);
  if (m.path === 'relay-to-device') parts.push('relay to this device');
  if (m.path === 'relay-to-relay') parts.push('relay to relay');
  return parts.length ? ` (${parts.join(', ')})` : '';
}

function mediaLine(m) {
  if (m.status === 'unknown') return `Data through the relay: not tested${paren(m.detail)}.`;
  const head = `Data through the relay${mediaHow(m)}: `;
  if (m.status === 'fail') {
    if (m.error === 'forbidden') return `${head}refused (403 Forbidden by the relay's peer policy).`;
    if (m.sent === 0) return `${head}failed${paren(m.detail)}.`;
    return `${head}${m.received} of ${m.sent} packets arrived.`;
  }
  let out = `${head}${m.received} of ${m.sent} packets arrived`;
  if (m.lossPercent !== null) out += ` (${whole(m.lossPercent)}% loss)`;
  if (m.throughputKbps !== null) out += `, ${whole(m.throughputKbps)} kbit/s`;
  if (m.rttMs !== null) out += `, round trip ${ms(m.rttMs)} ms`;
  return `${out}.`;
}

export function evidence(facts) {
  const f = normalizeFacts(facts);
  return [
    signalingLine(f.signaling),
    stunLine(f),
    natLine(f),
    turnLine('UDP', f.turnUdp, true),
    turnLine('TCP', f.turnTcp, true),
    turnLine('TLS', f.turnTls, f.client.turnTls),
    ipv6Line(f.ipv6),
    mediaLine(f.media),
  ];
}

// The report as a short text to paste into a support ticket (src/doctor/verdict.cpp, short_text).
export function shortText(report) {
  const f = normalizeFacts(report.facts);
  const v = report.verdict;
  let out = `signalbox connectivity doctor: ${f.server.url}\n${v.text}\n`;
  for (const e of v.evidence) out += `  - ${e}\n`;
  out += `Operator: ${v.operator}\n`;
  out += `Client: ${f.client.kind}${f.client.agent ? ` (${f.client.agent})` : ''}; started ${report.startedAt}, ` +
    `took ${whole((report.durationMs || 0) / 1000)} s.\n`;
  return out;
}
