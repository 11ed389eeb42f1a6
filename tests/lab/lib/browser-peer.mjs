// One Chromium call page inside a lab namespace: loads the web client from the lab's signalbox, joins a
// room and prints progress in the native client's format ("event ..." lines), so the lab's poller reads
// both the same way:
//   event page-loaded, event joined ID ROOM, event ice-state connected
//   event stats state=connected pair=LOCAL/REMOTE relay-protocol=P frames-decoded=N audio-packets=N
//   event reconnecting, event resumed ID ROOM, event resume-refused, event peer-reconnecting, event peer-resumed,
//   event peer-left, event ice-restart N (session resume: docs/signaling-protocol.md)
//   event exit CODE NAME
// Runs until SIGTERM (exit 0) or --timeout seconds (exit 7). Uses the browser suite's playwright-core and
// Chromium flags (tests/browser/lib), plus the flag that lets an http:// lab origin open the fake camera.
//   node browser-peer.mjs --url http://203.0.113.10:8080 --room R [--timeout 90] [--ignore-certificate-errors]
import { createRequire } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

import { CHROMIUM_BIN, chromiumFlags } from '../../browser/lib/browser.mjs';

const here = path.dirname(fileURLToPath(import.meta.url));
const require = createRequire(path.join(here, '../../browser/package.json'));
const { chromium } = require('playwright-core');

function parseArgs(argv) {
  const out = { url: '', room: '', timeout: 90, query: {}, ignoreCertificateErrors: false };
  for (let i = 0; i < argv.length; i += 2) {
    const [k, v] = [argv[i], argv[i + 1]];
    if (k === '--ignore-certificate-errors') {
      out.ignoreCertificateErrors = true; // the lab's throwaway certificate for turns:
      i -= 1;
    } else if (k === '--url') out.url = v;
    else if (k === '--room') out.room = v;
    else if (k === '--timeout') out.timeout = Number(v);
    else if (k === '--query') out.query = Object.fromEntries(new URLSearchParams(v));
    else throw new Error(`unknown argument ${k}`);
  }
  if (!out.url || !out.room) throw new Error('--url and --room are required');
  return out;
}

const emit = (line) => process.stdout.write(`event ${line}\n`);

async function main() {
  const args = parseArgs(process.argv.slice(2));
  const origin = new URL(args.url).origin;
  const browser = await chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: [...chromiumFlags({ ignoreCertificateErrors: args.ignoreCertificateErrors }), `--unsafely-treat-insecure-origin-as-secure=${origin}`],
    timeout: 30000,
  });
  let stopping = false;
  const stop = async (code, name) => {
    if (stopping) return;
    stopping = true;
    emit(`exit ${code} ${name}`);
    await browser.close().catch(() => {});
    process.exit(code);
  };
  process.on('SIGTERM', () => stop(0, 'ok'));
  process.on('SIGINT', () => stop(0, 'ok'));
  setTimeout(() => stop(7, 'timeout'), args.timeout * 1000).unref();

  const page = await (await browser.newContext()).newPage();
  page.on('console', (m) => process.stderr.write(`[console.${m.type()}] ${m.text()}\n`));
  page.on('pageerror', (e) => process.stderr.write(`[pageerror] ${e.message}\n`));
  const q = new URLSearchParams({ room: args.room, ...args.query });
  await page.goto(`${args.url}/?${q}`, { timeout: 30000 });
  emit('page-loaded');
  let lastIce = '';
  let joined = false;
  let everConnected = false;
  const seen = { resumes: 0, refusals: 0, restarts: 0, state: '', 'peer-reconnecting': 0, 'peer-resumed': 0,
    'peer-left': 0 };
  for (;;) {
    const s = await page.evaluate(async () => {
      const sb = window.signalbox;
      if (!sb) return null;
      const stats = await sb.readStats();
      const id = Object.keys(stats)[0];
      const peer = id ? sb.pcs[id] : null;
      return { id: sb.id, state: sb.state, ice: peer ? peer.iceConnectionState : '', stats: id ? stats[id] : null,
        error: sb.lastError ? sb.lastError.code : '', resumes: sb.resumes, refusals: sb.resumeRefusals,
        received: sb.received, restarts: sb.iceRestarts };
    }).catch((e) => ({ error: e.message }));
    if (s && s.id && !joined) {
      joined = true;
      emit(`joined ${s.id} ${args.room}`);
    }
    if (s && s.ice && s.ice !== lastIce) {
      lastIce = s.ice;
      emit(`ice-state ${s.ice}`);
      everConnected ||= s.ice === 'connected' || s.ice === 'completed';
      // A call that never connected has failed; one that did may restart ICE (a path that broke mid-call).
      if (s.ice === 'failed' && !everConnected) return stop(5, 'ice-failed');
    }
    if (s && s.id) reportResume(s, seen, args.room);
    if (s && s.stats) {
      const p = s.stats.pair;
      const v = s.stats.inbound.video;
      const a = s.stats.inbound.audio;
      emit(`stats state=${s.state} pair=${p ? `${p.local}/${p.remote}` : 'none'} ` +
        `relay-protocol=${(p && p.relayProtocol) || '-'} frames-decoded=${v ? v.framesDecoded : 0} ` +
        `audio-packets=${a ? a.packetsReceived : 0}`);
    }
    await new Promise((r) => setTimeout(r, joined ? 1000 : 100));
  }
}

// Session resume, in the native client's event names: what changed since the last poll.
function reportResume(s, seen, room) {
  if (s.state === 'reconnecting' && seen.state !== 'reconnecting') emit('reconnecting');
  seen.state = s.state;
  for (; seen.resumes < s.resumes; seen.resumes++) emit(`resumed ${s.id} ${room}`);
  for (; seen.refusals < s.refusals; seen.refusals++) emit('resume-refused');
  for (; seen.restarts < s.restarts; seen.restarts++) emit(`ice-restart ${seen.restarts + 1}`);
  for (const type of ['peer-reconnecting', 'peer-resumed', 'peer-left']) {
    for (; seen[type] < (s.received[type] || 0); seen[type]++) emit(type);
  }
}

main().catch((e) => {
  process.stderr.write(`browser-peer: ${e.stack || e}\n`);
  emit('exit 1 internal-error');
  process.exit(1);
});
