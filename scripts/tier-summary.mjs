// Sums the per-tier counts that the test runners append to a file (test/support/tierCounts.ts):
// prints one line per tier, then the closing line "N passed, N failed[, N skipped]".
// Exits 1 when a test failed or a tier ran no test.
//   node scripts/tier-summary.mjs COUNTS_FILE
import { readFileSync } from 'node:fs';

const rows = readFileSync(process.argv[2], 'utf8')
  .split('\n')
  .filter(Boolean)
  .map((l) => JSON.parse(l));
const byTier = new Map();
for (const r of rows) {
  const t = byTier.get(r.tier) ?? { passed: 0, failed: 0, skipped: 0 };
  for (const k of ['passed', 'failed', 'skipped']) t[k] += r[k];
  byTier.set(r.tier, t);
}
let ok = byTier.size > 0;
const total = { passed: 0, failed: 0, skipped: 0 };
for (const [tier, t] of byTier) {
  const ran = t.passed + t.failed;
  if (ran === 0) ok = false;
  console.log(
    `tier ${tier.padEnd(8)} ${String(t.passed).padStart(4)} passing  ${String(t.failed).padStart(3)} failing${t.skipped ? `  ${t.skipped} pending` : ''}${ran === 0 ? '  <- ran no test' : ''}`,
  );
  for (const k of Object.keys(total)) total[k] += t[k];
}
if (total.failed) ok = false;
console.log(`${total.passed} passed, ${total.failed} failed${total.skipped ? `, ${total.skipped} skipped` : ''}`);
process.exit(ok ? 0 : 1);
