// The web root for the PeerJS and Ayame browser tests: the plain app pages of pages/ beside the client
// libraries exactly as npm ships them (peerjs 1.5.5's dist/peerjs.min.js, @open-ayame/ayame-web-sdk's
// dist/ayame.mjs), so signalbox serves the apps with `--web-root` over http like any web server would.
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const HERE = path.dirname(fileURLToPath(import.meta.url));
const PAGES = path.join(HERE, '../pages');
const MODULES = path.join(HERE, '../node_modules');

export const CLIENT_LIBRARIES = {
  'peerjs.min.js': path.join(MODULES, 'peerjs/dist/peerjs.min.js'),
  'ayame.mjs': path.join(MODULES, '@open-ayame/ayame-web-sdk/dist/ayame.mjs'),
};

// Returns {dir, remove()}.
export function compatWebRoot() {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sb-compat-web-'));
  for (const f of fs.readdirSync(PAGES)) fs.copyFileSync(path.join(PAGES, f), path.join(dir, f));
  for (const [name, file] of Object.entries(CLIENT_LIBRARIES)) fs.copyFileSync(file, path.join(dir, name));
  return { dir, remove: () => fs.rmSync(dir, { recursive: true, force: true }) };
}
