// A two-party call through a real signalbox over HTTP + WebSocket: media both ways, the selected candidate
// pair, a third page turned away with room-full, and hang up.
import { describe } from 'node:test';
import { twoPartyCallSuite } from './lib/call-suite.mjs';

describe('two-party call over http:// and ws://', () => {
    twoPartyCallSuite({ serverArgs: [], screenshot: 'call-http.png' });
});
