// Everything that touches the DOM. render(state) is idempotent: it brings the page in line with the state
// object, so callers never patch the DOM themselves.

import { ROOM_PATTERN, randomRoomName, roomLink } from './config.js';
import { label } from './call.js';

const $ = (id) => document.getElementById(id);

const STATUS_TEXT = {
  idle: 'Not in a call',
  starting: 'Starting camera…',
  connecting: 'Connecting to server…',
  'in-call': 'Connected',
  reconnecting: 'Reconnecting…',
  'room-full': 'Room full',
  denied: 'Not admitted',
  failed: 'Not connected',
  ended: 'Call ended',
};

// Errors where the connection doctor (/doctor/) can tell why, and what would fix it.
const DOCTOR_CODES = new Set(['server-unreachable', 'ice-failed', 'no-candidates', 'webrtc-error']);

const LEFT_TEXT = {
  bye: 'hung up',
  disconnect: 'disconnected',
  timeout: 'stopped responding',
  dropped: 'was dropped (connection too slow)',
};

export function bindJoinForm(opts) {
  const form = $('join-form');
  const roomInput = $('room-input');
  // A fresh, unguessable room is the default; a typed name still works.
  roomInput.value = opts.room || randomRoomName();
  $('name-input').value = opts.name;
  const showLink = () => {
    const room = roomInput.value.trim();
    $('link-output').value = ROOM_PATTERN.test(room) ? roomLink(location, room) : '';
  };
  showLink();
  roomInput.addEventListener('input', () => {
    roomInput.setCustomValidity('');
    showLink();
  });
  $('copy-button').addEventListener('click', async () => {
    const link = $('link-output');
    link.select();
    try {
      await navigator.clipboard.writeText(link.value);
      $('copy-button').textContent = 'Copied';
    } catch {
      // No clipboard access (e.g. plain http on a LAN address): the link stays selected for a manual copy.
      $('copy-button').textContent = 'Press Ctrl+C';
    }
  });
  form.addEventListener('submit', (ev) => {
    ev.preventDefault();
    const room = roomInput.value.trim();
    if (!ROOM_PATTERN.test(room)) {
      roomInput.setCustomValidity('1–64 letters, digits, _ . -');
      roomInput.reportValidity();
      return;
    }
    const q = new URLSearchParams(location.search);
    q.set('room', room);
    const name = $('name-input').value.trim();
    if (name) q.set('name', name); else q.delete('name');
    location.search = q.toString();
  });
}

export function bindControls({ onMic, onCamera, onHangUp, onRejoin }) {
  $('mic-button').addEventListener('click', onMic);
  $('camera-button').addEventListener('click', onCamera);
  $('hangup-button').addEventListener('click', onHangUp);
  $('rejoin-button').addEventListener('click', onRejoin);
}

export function render(state) {
  $('call').hidden = state.state === 'idle';
  $('join-form').hidden = state.state !== 'idle';
  $('room-label').textContent = state.room ? `Room ${state.room}` : '';
  const status = $('status');
  status.dataset.state = state.state;
  status.textContent = STATUS_TEXT[state.state] || state.state;

  const error = $('error');
  error.hidden = !state.lastError;
  error.textContent = state.lastError ? state.lastError.message : '';
  error.dataset.code = state.lastError ? state.lastError.code : '';
  if (state.lastError && DOCTOR_CODES.has(state.lastError.code)) {
    const link = document.createElement('a');
    link.href = '/doctor/';
    link.target = '_blank';
    link.className = 'doctor-link';
    link.textContent = 'Check this connection';
    error.append(' ', link);
  }

  renderLocal(state);
  renderRemotes(state);
  renderNotice(state);
}

function renderLocal(state) {
  const video = $('local-video');
  if (video.srcObject !== (state.localStream || null)) video.srcObject = state.localStream || null;
  const flags = [];
  if (!state.localStream) flags.push('no camera');
  if (state.micMuted) flags.push('muted');
  if (state.cameraOff) flags.push('camera off');
  $('local-flags').textContent = flags.join(' · ');
  $('local-name').textContent = state.name ? `You (${state.name})` : 'You';
  $('mic-button').textContent = state.micMuted ? 'Unmute microphone' : 'Mute microphone';
  $('mic-button').setAttribute('aria-pressed', String(state.micMuted));
  $('camera-button').textContent = state.cameraOff ? 'Turn camera on' : 'Turn camera off';
  $('camera-button').setAttribute('aria-pressed', String(state.cameraOff));
  const live = !['ended', 'room-full', 'failed', 'denied'].includes(state.state);
  $('videos').hidden = !live; // no black tiles once the call is over
  $('mic-button').hidden = !live;
  $('camera-button').hidden = !live;
  $('mic-button').disabled = !state.localStream;
  $('camera-button').disabled = !state.localStream;
  $('hangup-button').hidden = !live;
  $('rejoin-button').hidden = live;
}

function renderRemotes(state) {
  const grid = $('videos');
  const present = Object.values(state.peers).filter((p) => !p.left);
  for (const tile of grid.querySelectorAll('.tile.remote')) {
    if (!present.some((p) => p.id === tile.dataset.peer)) tile.remove();
  }
  for (const peer of present) {
    let tile = grid.querySelector(`.tile.remote[data-peer="${peer.id}"]`);
    if (!tile) {
      tile = $('remote-tile').content.firstElementChild.cloneNode(true);
      tile.dataset.peer = peer.id;
      grid.append(tile);
    }
    const video = tile.querySelector('video');
    const stream = state.streams[peer.id] || null;
    if (video.srcObject !== stream) video.srcObject = stream;
    tile.querySelector('.who').textContent = label(peer);
    const conn = tile.querySelector('.conn');
    // A peer whose signaling connection dropped: the media may still flow while it resumes.
    const shown = peer.reconnecting ? 'reconnecting' : peer.connectionState;
    conn.textContent = shown;
    conn.dataset.state = shown;
    tile.querySelector('.pair').textContent = pairText(peer.pair);
  }
  grid.dataset.count = String(present.length + 1);
}

// "host ↔ srflx (udp)": local candidate type ↔ remote candidate type, as ICE selected them.
export function pairText(pair) {
  if (!pair) return '';
  const transport = pair.relayProtocol ? `${pair.protocol}, relay over ${pair.relayProtocol}` : pair.protocol;
  return `${pair.local} ↔ ${pair.remote} (${transport})`;
}

function renderNotice(state) {
  const lines = Object.values(state.peers)
    .filter((p) => p.left)
    .map((p) => `${label(p)} ${LEFT_TEXT[p.leftReason] || 'left'}.`);
  const alone = Object.values(state.peers).every((p) => p.left);
  if (state.state === 'in-call' && alone) {
    // A link with a token is personal (it carries an identity): the others need links of their own.
    lines.push(state.options.token ? `Waiting for someone to join room ${state.room}.`
      : `Waiting for someone to join room ${state.room}. Share this page's link.`);
  }
  if (state.state === 'ended') lines.push('You left the call.');
  const notice = $('notice');
  notice.hidden = lines.length === 0;
  notice.textContent = lines.join(' ');
}
