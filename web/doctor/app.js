// The connectivity doctor page (docs/doctor.md): runs the checks of checks.js against the server this page
// came from, turns the facts into the verdict with verdict.js (the same rules as the native client's),
// shows both, and offers the report as JSON and as short text. With `?send=0` the report is never sent;
// otherwise it is sent when the server records reports (the page says so).
//
// State for people debugging and for the browser tests: window.doctor = {state: 'running'|'done', checks,
// offer, report, text, sent}.

import { fetchOffer, checkSignaling, checkStun, checkNat, checkTurn, checkIpv6, checkMedia } from './checks.js';
import { decide, evidence, normalizeFacts, shortText } from './verdict.js';

const CHECKS = [
  ['signaling', 'Signaling WebSocket'],
  ['stun', 'STUN over UDP'],
  ['nat', 'NAT behaviour'],
  ['turnUdp', 'TURN over UDP'],
  ['turnTcp', 'TURN over TCP'],
  ['turnTls', 'TURN over TLS'],
  ['ipv6', 'IPv6'],
  ['media', 'Data through the relay'],
];

const $ = (id) => document.getElementById(id);
const params = new URLSearchParams(location.search);
const doctor = { state: 'running', checks: Object.fromEntries(CHECKS.map(([k]) => [k, { status: 'running' }])),
  server: {}, offer: null, report: null, text: '', sent: null };
window.doctor = doctor;

// "NAT (RFC 5780 tests): endpoint-independent …" → "endpoint-independent … (RFC 5780 tests)": the row says NAT.
function withoutLabel(line) {
  const m = /^[^:(]+?(?: \(([^)]*)\))?: (.*?)\.?$/.exec(line);
  return m ? `${m[2]}${m[1] ? ` (${m[1]})` : ''}.` : line;
}

function renderChecks() {
  const body = $('checks');
  const lines = evidence({ ...doctor.checks, server: doctor.server, client: { turnTls: true } });
  body.replaceChildren(...CHECKS.map(([key, label], i) => {
    const c = doctor.checks[key];
    const row = document.createElement('tr');
    row.dataset.check = key;
    row.dataset.status = c.status;
    // The evidence line of a finished check, as the verdict will word it.
    const line = c.status === 'running' ? '' : withoutLabel(lines[i]);
    row.innerHTML = '<th></th><td><span class="pill"></span></td><td class="what"></td>';
    row.querySelector('th').textContent = label;
    row.querySelector('.pill').textContent = c.status;
    row.querySelector('.pill').dataset.state = c.status;
    row.querySelector('.what').textContent = line || (c.status === 'running' ? 'checking…' : '');
    return row;
  }));
}

function renderVerdict(report) {
  const v = report.verdict;
  const box = $('verdict');
  box.hidden = false;
  box.dataset.severity = v.severity;
  box.dataset.code = v.code;
  $('verdict-text').textContent = v.text;
  $('operator').textContent = v.operator;
  $('report-json').textContent = JSON.stringify(report, null, 2);
  $('actions').hidden = false;
}

const MAX_DETAIL = 200;  // the server refuses strings over 256 bytes in a report

function set(key, facts) {
  if (typeof facts.detail === 'string' && facts.detail.length > MAX_DETAIL) facts.detail = facts.detail.slice(0, MAX_DETAIL);
  doctor.checks[key] = facts;
  renderChecks();
  return facts;
}

async function run() {
  renderChecks();
  const startedAt = new Date().toISOString();
  const t0 = performance.now();
  const ws = `${location.protocol === 'https:' ? 'wss:' : 'ws:'}//${location.host}/ws`;
  const facts = { client: { kind: 'browser', agent: navigator.userAgent.slice(0, 200), turnTls: true },
    server: { url: `${location.origin}/doctor/` } };
  const signaling = checkSignaling(ws).then((r) => set('signaling', r));
  let offer = null;
  try {
    const got = await fetchOffer();
    offer = got.offer;
    doctor.offer = offer;
    facts.server = { ...facts.server, stun: Boolean(offer.stun), rfc5780: Array.isArray(offer.rfc5780),
      relayToRelay: offer.relayToRelay ?? null, relayToDevice: offer.relayToDevice ?? null };
    doctor.server = facts.server;
    await signaling;
    if (got.clockOffsetMs !== null) doctor.checks.signaling.clockOffsetMs = got.clockOffsetMs;
  } catch (err) {
    await signaling;
    for (const [k] of CHECKS.slice(1)) set(k, { status: 'unknown', detail: `no doctor offer: ${err.message}` });
  }
  if (offer) await runChecks(offer);
  for (const [k] of CHECKS) facts[k] = doctor.checks[k];
  const report = { version: 1, startedAt, durationMs: performance.now() - t0, facts: normalizeFacts(facts) };
  report.verdict = decide(report.facts);
  doctor.report = report;
  doctor.text = shortText(report);
  renderVerdict(report);
  renderChecks();
  doctor.state = 'done';
  if (offer?.reports && params.get('send') !== '0') await send(report);
}

async function runChecks(offer) {
  const stun = checkStun(offer).then((r) => set('stun', r));
  const nat = stun.then((s) => checkNat(offer, s)).then((r) => set('nat', r));
  const turn = ['udp', 'tcp', 'tls'].map((kind) => checkTurn(offer, kind)
    .then((r) => set(`turn${kind[0].toUpperCase()}${kind.slice(1)}`, r)));
  const ipv6 = checkIpv6(offer).then((r) => set('ipv6', r));
  const [udp, tcp, tls] = await Promise.all(turn);
  const best = udp.status === 'pass' ? 'udp' : tcp.status === 'pass' ? 'tcp' : tls.status === 'pass' ? 'tls' : null;
  // Data to this device's own address where UDP reaches it and the relay may send there; else relay to relay.
  const toDevice = (await stun).status === 'pass' && offer.relayToDevice !== false;
  set('media', best ? await checkMedia(offer, best, toDevice) : { status: 'unknown', detail: 'no relay to test' });
  await Promise.all([nat, ipv6]);
}

async function send(report) {
  try {
    const res = await fetch('/doctor/report', { method: 'POST', headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify(report) });
    const body = await res.json().catch(() => ({}));
    doctor.sent = res.ok ? body.id : null;
    $('sent').hidden = false;
    $('sent').textContent = res.ok ? `This report was sent to the operator of this server (report ${body.id}).`
      : `The server did not take the report: ${body.error || res.status}.`;
  } catch (err) {
    $('sent').hidden = false;
    $('sent').textContent = `The report could not be sent: ${err.message}.`;
  }
}

// navigator.clipboard where the page may use it; otherwise a selected text area and execCommand.
async function copy(text, button) {
  let ok = false;
  try {
    await navigator.clipboard.writeText(text);
    ok = true;
  } catch {
    const area = document.createElement('textarea');
    area.value = text;
    document.body.append(area);
    area.select();
    ok = document.execCommand('copy');
    area.remove();
  }
  const label = button.textContent;
  button.textContent = ok ? 'Copied' : 'Copy failed: select the report below';
  setTimeout(() => { button.textContent = label; }, 2000);
}

$('copy-json').addEventListener('click', (ev) => copy(JSON.stringify(doctor.report, null, 2), ev.target));
$('copy-text').addEventListener('click', (ev) => copy(doctor.text, ev.target));
$('again').addEventListener('click', () => location.reload());
run().catch((err) => {
  doctor.state = 'done';
  doctor.error = err.message;
  $('failure').hidden = false;
  $('failure').textContent = `The doctor stopped: ${err.message}`;
});
