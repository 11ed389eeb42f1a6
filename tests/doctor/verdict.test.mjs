// web/doctor/verdict.js against the shared vectors (tests/doctor/vectors.json): the same facts that the
// C++ core is checked against in tests/unit/doctor, so the page and the native client cannot disagree.
// Run by ctest (label unit) and by hand: node --test tests/doctor/verdict.test.mjs
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { decide, evidence, normalizeFacts, shortText, VERDICT_CODES } from '../../web/doctor/verdict.js';

const doc = JSON.parse(fs.readFileSync(path.join(path.dirname(fileURLToPath(import.meta.url)), 'vectors.json'), 'utf8'));

for (const v of doc.vectors) {
  test(`vector: ${v.name}`, () => {
    const d = decide(v.facts);
    assert.equal(d.code, v.expect.code);
    assert.equal(d.severity, v.expect.severity);
    assert.equal(d.text, v.expect.text);
    assert.deepEqual(d.evidence, v.expect.evidence);
    assert.equal(d.operator, v.expect.operator);
    assert.ok(VERDICT_CODES.includes(d.code));
  });
}

test('every verdict code is reached by some vector', () => {
  const reached = new Set(doc.vectors.map((v) => v.expect.code));
  assert.deepEqual(VERDICT_CODES.filter((c) => !reached.has(c)), []);
});

for (const r of doc.reports) {
  test(`short text: ${r.vector}`, () => {
    const facts = doc.vectors.find((v) => v.name === r.vector).facts;
    assert.equal(shortText({ startedAt: r.startedAt, durationMs: r.durationMs, facts, verdict: decide(facts) }), r.shortText);
  });
}

test('missing facts take the defaults: nothing measured is "not tested"', () => {
  const d = decide({});
  assert.equal(d.code, 'no-stun-turn');
  assert.equal(evidence({}).length, 8);
  assert.equal(normalizeFacts({ stun: { rttMs: null } }).stun.rttMs, null);
  assert.match(evidence({})[0], /^Signaling: not tested\.$/);
});

test('decide does not modify its input', () => {
  const facts = structuredClone(doc.vectors[0].facts);
  decide(facts);
  assert.deepEqual(facts, doc.vectors[0].facts);
});
