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

  it('the form starts a new call in an unguessable room, with a link to copy', { timeout: 60000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/`);
    await waitForState(page, 'idle');
    const first = await page.inputValue('#room-input');
    // 128 bits as 22 base64url characters: at least the 96 bits the issue asks for, and a valid room name.
    assert.match(first, /^[A-Za-z0-9_-]{22}$/);
    assert.equal(await page.inputValue('#link-output'), `${server.url}/?room=${first}`);
    await page.reload();
    await waitForState(page, 'idle');
    assert.notEqual(await page.inputValue('#room-input'), first, 'every load proposes a new room');
    // A typed name replaces the proposal, in the link too.
    await page.fill('#room-input', 'team.standup');
    assert.equal(await page.inputValue('#link-output'), `${server.url}/?room=team.standup`);
    await page.fill('#room-input', 'bad name');
    assert.equal(await page.inputValue('#link-output'), '');
    // Joining with the proposal as it stands.
    await page.reload();
    await waitForState(page, 'idle');
    const proposed = await page.inputValue('#room-input');
    await Promise.all([page.waitForURL(/room=/), page.click('#join-form button[type=submit]')]);
    assert.equal(new URL(page.url()).searchParams.get('room'), proposed);
    await waitForState(page, 'in-call');
  });

  it('a malformed room name in the URL is explained, not sent', { timeout: 30000 }, async () => {
    const page = await browser.newPage();
    await page.goto(`${server.url}/?room=${encodeURIComponent('bad room')}`);
    await waitForState(page, 'idle');
    assert.equal(await page.evaluate(() => window.signalbox.lastError.code), 'bad-room');
    assert.match(await page.locator('#error').textContent(), /not a valid room name/);
  });
});
