// Server unreachable: the page says so, keeps retrying with backoff, and when signalbox is back on the same
// port both pages rejoin and the call is set up again, without a reload.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { uniqueRoom } from './lib/call-suite.mjs';
import {
  openCallPage, waitForState, waitForError, waitConnected, waitMediaFlowing, readState, waitInPage,
} from './lib/page.mjs';

test('server unreachable: the page shows it and reconnects when the server is back', { timeout: 90000 }, async (t) => {
  let server = await startServer();
  t.after(() => server.stop());
  const browser = await launchBrowser();
  t.after(() => browser.close());
  const room = uniqueRoom('reconnect');
  const pages = [];
  for (const name of ['alice', 'bob']) pages.push(await openCallPage(browser, server.url, { room, name }));
  await Promise.all(pages.map((p) => waitConnected(p)));
  const idsBefore = await Promise.all(pages.map(async (p) => (await readState(p)).id));

  // A crash, not a clean shutdown: no close frame, the port just stops answering.
  const port = server.port;
  await server.stop('SIGKILL');
  for (const page of pages) {
    await waitForError(page, 'server-unreachable', 10000);
    await waitForState(page, 'reconnecting', 1000);
    assert.ok(await page.locator('#error').isVisible());
    assert.match(await page.locator('#error').textContent(), /Cannot reach the signalbox server.*Reconnecting in/);
  }
  // It keeps trying while the server is down (attempts at about 0.5, 1, 2 s).
  await Promise.all(pages.map((p) => waitInPage(p, () => window.signalbox.reconnects >= 3, null, '3 attempts', 10000)));

  server = await startServer({ listen: `127.0.0.1:${port}` });
  // Backoff is at most 4 s × 1.2 at this point, so both are back well within 15 s.
  for (const page of pages) {
    await waitForState(page, 'in-call', 15000);
    assert.equal(await page.locator('#error').isVisible(), false);
  }
  await Promise.all(pages.map((p) => waitConnected(p)));
  await Promise.all(pages.map((p) => waitMediaFlowing(p, { rounds: 1 })));
  const idsAfter = await Promise.all(pages.map(async (p) => (await readState(p)).id));
  for (let i = 0; i < 2; i++) assert.notEqual(idsAfter[i], idsBefore[i], 'a rejoin gets a fresh peer id');
});
