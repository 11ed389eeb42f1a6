// Page options from the query string, and the RTCConfiguration built from them and from `joined`.
//
//   ?room=NAME        join that room (the join form is shown otherwise)
//   ?name=TEXT        display name sent in `join`
//   ?token=JWT        join token (docs/auth.md), sent in `join`; `signalbox token --link` makes such links
//   ?relay=1          iceTransportPolicy 'relay': only TURN candidates (tests TURN end to end)
//   ?transport=tcp    use the server's TURN URLs over TCP (udp|tcp); turns: URLs are kept as they are
//   ?ice=URL[,URL]    replace the server's iceServers, for debugging (or a JSON array of RTCIceServer)
//   ?iceUser=U&icePass=P   credentials for the TURN URLs given in ?ice=
//   ?video=WxH[@FPS]  camera capture size (default 640x480), e.g. 320x240@15 on a slow link or CPU

export const ROOM_PATTERN = /^[A-Za-z0-9_.-]{1,64}$/;

// A room name nobody can guess: 128 bits from the CSPRNG as 22 base64url characters (all valid in room names).
// Without access control, the name is what keeps strangers out of a call.
export function randomRoomName() {
  const bytes = crypto.getRandomValues(new Uint8Array(16));
  return btoa(String.fromCharCode(...bytes)).replace(/\+/g, '-').replace(/\//g, '_').replace(/=+$/, '');
}

// The link that opens `room` on this server (no token: a token is personal and not for sharing).
export function roomLink(location, room) {
  return `${location.origin}${location.pathname}?room=${encodeURIComponent(room)}`;
}

export function parseOptions(location) {
  const q = new URLSearchParams(location.search);
  const wsScheme = location.protocol === 'https:' ? 'wss:' : 'ws:';
  const room = q.get('room') || '';
  return {
    room,
    name: (q.get('name') || '').slice(0, 64),
    token: q.get('token') || '',
    relay: q.get('relay') === '1' || q.get('relay') === 'true',
    transport: q.get('transport') || '',
    ice: q.get('ice') || '',
    iceUser: q.get('iceUser') || '',
    icePass: q.get('icePass') || '',
    video: parseVideo(q.get('video') || ''),
    // The room in the URL is only a placement hint (the server puts a room's members on one I/O thread);
    // `join` is what admits the client to the room.
    signalingUrl: `${wsScheme}//${location.host}/ws${room ? `?room=${encodeURIComponent(room)}` : ''}`,
  };
}

function parseVideo(text) {
  const m = /^(\d{2,4})x(\d{2,4})(?:@(\d{1,2}))?$/.exec(text);
  const video = { width: { ideal: m ? Number(m[1]) : 640 }, height: { ideal: m ? Number(m[2]) : 480 } };
  if (m && m[3]) video.frameRate = { ideal: Number(m[3]) };
  return video;
}

// `?ice=` is either a JSON array of RTCIceServer or a comma-separated list of URLs.
function parseIceOverride(opts) {
  const text = opts.ice.trim();
  if (text.startsWith('[')) return JSON.parse(text);
  const urls = text.split(',').map((u) => u.trim()).filter(Boolean);
  return urls.map((url) => {
    const server = { urls: [url] };
    if (/^turns?:/.test(url) && opts.iceUser) {
      server.username = opts.iceUser;
      server.credential = opts.icePass;
    }
    return server;
  });
}

// RFC 7065 section 3.1: the transport of a turn: URL is its ?transport= parameter, UDP when absent.
function transportOf(url) {
  return /[?&]transport=([a-z]+)/i.exec(url)?.[1].toLowerCase() || 'udp';
}

function withTransport(url, transport) {
  return `${url.split('?')[0]}?transport=${transport}`;
}

// The turn: URLs of one RTCIceServer moved to `transport`: the server's own URLs for that transport when it
// lists any (signalbox names each transport's bound port, which can differ), else the others rewritten.
function pickTransport(urls, transport) {
  const own = urls.filter((u) => u.startsWith('turn:') && transportOf(u) === transport);
  return urls.flatMap((u) => {
    if (!u.startsWith('turn:')) return [u];
    if (own.length) return own.includes(u) ? [u] : [];
    return [withTransport(u, transport)];
  });
}

export function rtcConfiguration(serverIceServers, opts) {
  let iceServers = opts.ice ? parseIceOverride(opts) : structuredClone(serverIceServers || []);
  if (opts.transport === 'udp' || opts.transport === 'tcp') {
    iceServers = iceServers.map((s) => {
      const urls = pickTransport([].concat(s.urls), opts.transport);
      return { ...s, urls: [...new Set(urls)] };
    });
  }
  return { iceServers, iceTransportPolicy: opts.relay ? 'relay' : 'all' };
}
