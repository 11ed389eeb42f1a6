// Rewrites the texts in tests/doctor/vectors.json (verdict text, evidence, operator line, short text) from
// web/doctor/verdict.js, after a deliberate change of wording. It refuses when a verdict code or severity
// differs from the one written in the file: those are reasoned by hand, never regenerated. Review the diff,
// then make the C++ core (src/doctor) agree: tests/unit/doctor checks it against the same file.
//   node tests/doctor/update-vectors.mjs
import fs from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { decide, shortText } from '../../web/doctor/verdict.js';

const file = path.join(path.dirname(fileURLToPath(import.meta.url)), 'vectors.json');
const doc = JSON.parse(fs.readFileSync(file, 'utf8'));
let bad = 0;
for (const v of doc.vectors) {
  const d = decide(v.facts);
  if (d.code !== v.expect.code || d.severity !== v.expect.severity) {
    console.error(`${v.name}: verdict.js says ${d.code}/${d.severity}, the file ${v.expect.code}/${v.expect.severity}`);
    bad += 1;
    continue;
  }
  v.expect = { code: d.code, severity: d.severity, text: d.text, evidence: d.evidence, operator: d.operator };
}
for (const r of doc.reports) {
  const facts = doc.vectors.find((v) => v.name === r.vector).facts;
  r.shortText = shortText({ startedAt: r.startedAt, durationMs: r.durationMs, facts, verdict: decide(facts) });
}
if (bad) process.exit(1);
fs.writeFileSync(file, `${JSON.stringify(doc, null, 1)}\n`);
console.log(`updated ${doc.vectors.length} vectors and ${doc.reports.length} reports`);
