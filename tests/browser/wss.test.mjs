// The same call over https:// and wss:// with the server's throwaway certificate (--self-signed), as a call
// between two machines needs: browsers open cameras only on secure origins other than localhost.
import { describe } from 'node:test';
import { twoPartyCallSuite } from './lib/call-suite.mjs';

describe('two-party call over https:// and wss:// (--self-signed)', () => {
  twoPartyCallSuite({ serverArgs: ['--self-signed'], secure: true });
});
