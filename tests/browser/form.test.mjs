// The page without ?room=: a join form that checks the room name and then joins by navigating to ?room=.
import assert from 'node:assert/strict';
import { describe, before, after, it } from 'node:test';
import { launchBrowser } from './lib/browser.mjs';
import { startServer } from './lib/server.mjs';
import { uniqueRoom } from './lib/call-suite.mjs';
import { waitForState, describePage } from './lib/page.mjs';

describe('the join form', () => {
  let server;
  let browser;
  before(async () => {
    server = await startServer();
    browser = await launchBrowser();
  });
  after(async () => {
    await browser?.close();
    await server?.stop();
  });

  it('no room in the URL: the join form, which refuses bad names and joins good ones', { timeout: 60000 }, async () => {
    const page = await browser.newPage();
    page.sbLog = [];
    page.on('console', (m) => page.sbLog.push(`[${m.type()}] ${m.text()}`));

    const response = await page.goto(`${server.url}/`);
    assert.equal(response.status(), 200);
    assert.match(response.headers()['content-type'], /^text\/html/);
    await waitForState(page, 'idle');
    assert.ok(await page.locator('#join-form').isVisible(), await describePage(page));
    assert.equal(await page.locator('#call').isVisible(), false);

    await page.fill('#room-input', 'not a room!');
    await page.click('#join-form button[type=submit]');
    assert.equal(new URL(page.url()).searchParams.get('room'), null, 'an invalid name does not navigate');

    const room = uniqueRoom('form');
    await page.fill('#room-input', room);
    await page.fill('#name-input', 'dana');
    await Promise.all([page.waitForURL(/room=/), page.click('#join-form button[type=submit]')]);
    const url = new URL(page.url());
    assert.equal(url.searchParams.get('room'), room);
    assert.equal(url.searchParams.get('name'), 'dana');
    await waitForState(page, 'in-call');
    assert.equal(await page.locator('#join-form').isVisible(), false);
    assert.match(await page.locator('#notice').textContent(), /Waiting for someone to join/);
  });

  it('a malformed room name in the URL is explained, not sent', { timeout: 30000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/?room=${encodeURIComponent('bad room')}`);
    await waitForState(page, 'idle');
    assert.equal(await page.evaluate(() => window.signalbox.lastError.code), 'bad-room');
    assert.match(await page.locator('#error').textContent(), /not a valid room name/);
  });
});
