// One call page (web/ served by signalbox) per browser context, and the ways tests read it: the page
// exposes its state on `window.signalbox` (see web/app.js), so tests never scrape text for state.

const DEFAULT_WAIT_MS = 20000; // generous: CI machines are shared and Chromium starts slowly under load
// Small video keeps several pages encoding and decoding in software within a 2-core machine's means.
const TEST_VIDEO = '320x240@15';

// `initScript` runs in the page before its own scripts (e.g. to make getUserMedia fail).
export async function openCallPage(browser, baseUrl, { room, name, query = {}, ignoreHTTPSErrors = false,
  initScript = null } = {}) {
  const context = await browser.newContext({ ignoreHTTPSErrors, viewport: { width: 1000, height: 640 } });
  if (initScript) await context.addInitScript(initScript);
  const page = await context.newPage();
  page.sbLog = [];
  page.on('console', (m) => page.sbLog.push(`[${m.type()}] ${m.text()}`));
  page.on('pageerror', (e) => page.sbLog.push(`[pageerror] ${e.message}`));
  const q = new URLSearchParams({ room, ...(name ? { name } : {}), video: TEST_VIDEO, ...query });
  await page.goto(`${baseUrl}/?${q}`, { timeout: DEFAULT_WAIT_MS });
  return page;
}

export async function closePage(page) {
  await page.context().close().catch(() => {});
}

// What the page knows, for failure messages.
export async function describePage(page) {
  const state = await page.evaluate(() => {
    const s = window.signalbox;
    if (!s) return 'window.signalbox is missing';
    return JSON.stringify({ state: s.state, signaling: s.signaling, id: s.id, room: s.room, lastError: s.lastError,
      peers: s.peers, pcs: Object.fromEntries(Object.entries(s.pcs).map(([id, pc]) => [id, pc.connectionState])) });
  }).catch((e) => `unreadable: ${e.message}`);
  return `${page.url()}\n  state: ${state}\n  console:\n    ${page.sbLog.slice(-15).join('\n    ')}`;
}

// Waits for predicate(arg) to hold in the page; on timeout, fails with what the page knows.
export async function waitInPage(page, predicate, arg, what, timeout = DEFAULT_WAIT_MS) {
  try {
    await page.waitForFunction(predicate, arg, { timeout, polling: 100 });
  } catch (err) {
    throw new Error(`timed out after ${timeout} ms waiting for ${what}: ${err.message.split('\n')[0]}\n` +
      await describePage(page));
  }
}

export function waitForState(page, state, timeout) {
  return waitInPage(page, (s) => window.signalbox?.state === s, state, `page state "${state}"`, timeout);
}

export function waitForError(page, code, timeout) {
  return waitInPage(page, (c) => window.signalbox?.lastError?.code === c, code, `error "${code}"`, timeout);
}

// At least `count` peer connections are 'connected' and have a selected candidate pair.
export function waitConnected(page, count = 1, timeout) {
  return waitInPage(page, (n) => Object.values(window.signalbox.pcs).filter((pc) => pc.connectionState === 'connected')
    .length >= n && Object.values(window.signalbox.peers).filter((p) => !p.left && p.pairType).length >= n,
  count, `${count} connected peer(s) with a selected pair`, timeout);
}

export function readStats(page) {
  return page.evaluate(() => window.signalbox.readStats());
}

export function readState(page) {
  return page.evaluate(() => {
    const { state, signaling, id, room, peers, lastError, reconnects, micMuted, cameraOff } = window.signalbox;
    return { state, signaling, id, room, peers, lastError, reconnects, micMuted, cameraOff };
  });
}

// Media arrives from every remote peer and keeps arriving: between consecutive readings, video
// framesDecoded rises by at least `minFrames` and audio samples (or, failing that counter, packets) rise.
// Returns the first and last readings, e.g. to compute a frame rate.
export async function waitMediaFlowing(page, { rounds = 2, minFrames = 5, timeout = DEFAULT_WAIT_MS } = {}) {
  const deadline = Date.now() + timeout;
  const first = await readStats(page);
  let prev = first;
  let last = first;
  for (let round = 0; round < rounds; round++) {
    for (;;) {
      await new Promise((r) => setTimeout(r, 250));
      last = await readStats(page);
      if (Object.keys(last).length > 0 && Object.keys(last).every((id) => rose(prev[id], last[id], minFrames))) break;
      if (Date.now() > deadline) {
        throw new Error(`media did not keep flowing within ${timeout} ms (round ${round + 1}/${rounds}):\n` +
          `before ${JSON.stringify(prev)}\nafter  ${JSON.stringify(last)}\n${await describePage(page)}`);
      }
    }
    prev = last;
  }
  return { first, last };
}

function rose(before, after, minFrames) {
  if (!after || !after.inbound.video || !after.inbound.audio) return false;
  // Before the first packet there is no inbound-rtp entry yet: count from zero.
  const v0 = before?.inbound.video || { framesDecoded: 0 };
  const a0 = before?.inbound.audio || { totalSamplesReceived: 0, packetsReceived: 0 };
  const frames = after.inbound.video.framesDecoded - v0.framesDecoded;
  const a1 = after.inbound.audio;
  const audio = a1.totalSamplesReceived > a0.totalSamplesReceived || a1.packetsReceived > a0.packetsReceived;
  return frames >= minFrames && audio;
}

// Gathers ICE candidates in the page with a throw-away RTCPeerConnection (one data channel, so no media
// permission is involved) and returns {candidates: [{type, protocol, address, port, relayProtocol, url}],
// errors: [{url, code, text}]}. For STUN/TURN tests: srflx from a STUN server, relay from a TURN server.
// A page without camera permission hides its host addresses behind mDNS names, which is also why Chromium
// then reports a srflx candidate even where it equals a host address.
export async function gatherCandidates(page, rtcConfig, timeout = 10000) {
  return page.evaluate(async ({ config, ms }) => {
    const pc = new RTCPeerConnection(config);
    const candidates = [];
    const errors = [];
    pc.createDataChannel('probe');
    pc.onicecandidateerror = (ev) => errors.push({ url: ev.url, code: ev.errorCode, text: ev.errorText });
    const done = new Promise((resolve) => {
      pc.onicecandidate = (ev) => {
        if (!ev.candidate) resolve();
        else if (ev.candidate.candidate) {
          const c = ev.candidate;
          candidates.push({ type: c.type, protocol: c.protocol, address: c.address, port: c.port,
            relayProtocol: c.relayProtocol ?? null, url: c.url ?? null });
        }
      };
      setTimeout(resolve, ms);
    });
    await pc.setLocalDescription(await pc.createOffer());
    await done;
    pc.close();
    return { candidates, errors };
  }, { config: rtcConfig, ms: timeout });
}
