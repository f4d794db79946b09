// Entry point the extension host calls (`extensionTestsPath`): runs every *.test.js bundled beside
// this file with mocha and writes the results as JSON to $KMEMMAP_TEST_RESULTS, because the
// extension host exits 0 whatever run() does; the driver turns that file into the exit code.
import type MochaType from 'mocha';
import { readdirSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';

/** mocha from the repository's node_modules at run time (bundling it drags in its parallel-mode
 * worker files and warns on every build); out/test/integration → repository root. */
function loadMocha(): typeof MochaType {
  const name = 'mocha';
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- resolved at run time on purpose (see above)
  return require(require.resolve(name, { paths: [join(__dirname, '..', '..', '..')] })) as typeof MochaType;
}

interface TestResult {
  title: string;
  state: 'passed' | 'failed' | 'pending';
  durationMs?: number;
  error?: string;
}

export async function run(): Promise<void> {
  const Mocha = loadMocha();
  const mocha = new Mocha({
    ui: 'bdd',
    timeout: 180_000,
    color: false,
    reporter: 'spec',
    forbidPending: true,
    forbidOnly: true,
  });
  const grep = process.env.KMEMMAP_TEST_GREP;
  if (grep) mocha.grep(grep);
  for (const f of readdirSync(__dirname).sort()) if (f.endsWith('.test.js')) mocha.addFile(join(__dirname, f));

  const results: TestResult[] = [];
  const started = Date.now();
  let failures = 0;
  try {
    failures = await new Promise<number>((resolve) => {
      const runner = mocha.run((n) => resolve(n));
      runner.on('pass', (t) => results.push({ title: t.fullTitle(), state: 'passed', durationMs: t.duration }));
      runner.on('pending', (t) => results.push({ title: t.fullTitle(), state: 'pending' }));
      runner.on('fail', (t, err: Error) =>
        results.push({ title: t.fullTitle(), state: 'failed', error: String(err?.stack ?? err) }),
      );
    });
  } catch (e) {
    failures = Math.max(failures, 1);
    results.push({ title: 'loading the suite', state: 'failed', error: String((e as Error)?.stack ?? e) });
  }
  const out = process.env.KMEMMAP_TEST_RESULTS;
  if (out) writeFileSync(out, JSON.stringify({ failures, durationMs: Date.now() - started, results }, null, 2));
  if (failures) throw new Error(`${failures} integration test(s) failed`);
}
