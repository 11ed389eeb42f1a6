// Debian's Chromium, headless, driven by playwright-core (which never downloads a browser of its own).
import os from 'node:os';
import { chromium } from 'playwright-core';

export const CHROMIUM_BIN = process.env.CHROMIUM_BIN || '/usr/bin/chromium';

const FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--use-fake-ui-for-media-stream',     // grant getUserMedia without a prompt
  '--use-fake-device-for-media-stream', // a synthetic camera (moving pattern) and microphone (beeps)
  '--autoplay-policy=no-user-gesture-required',
];

// WebRTC gathers no host candidates on loopback unless told to; on a host whose only interface is `lo`
// two pages could then never connect. Link-local IPv6 addresses do not count: Chromium skips them.
export function hostHasOnlyLoopback(interfaces = os.networkInterfaces()) {
  return !Object.values(interfaces).flat().some(
    (a) => !a.internal && (a.family === 'IPv4' || a.family === 4 || !a.address.toLowerCase().startsWith('fe80')));
}

export function chromiumFlags({ ignoreCertificateErrors = false } = {}) {
  const flags = [...FLAGS];
  if (hostHasOnlyLoopback()) flags.push('--allow-loopback-in-peer-connection');
  if (ignoreCertificateErrors) flags.push('--ignore-certificate-errors'); // signalbox --self-signed
  return flags;
}

export async function launchBrowser(options = {}) {
  return chromium.launch({
    executablePath: CHROMIUM_BIN,
    headless: true,
    args: chromiumFlags(options),
    timeout: 30000,
  });
}
