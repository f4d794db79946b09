// mocha's spec reporter plus a record of the run's counts for scripts/test-all.sh (tierCounts.ts).
// Used by every mocha run in Node through .mocharc.json; mocha stays external so this extends the
// Spec class of the mocha that runs the tests.
import Mocha from 'mocha';
import { recordTierCounts } from './tierCounts';

class CountingReporter extends Mocha.reporters.Spec {
  constructor(runner: Mocha.Runner, options?: Mocha.MochaOptions) {
    super(runner, options);
    runner.once(Mocha.Runner.constants.EVENT_RUN_END, () => {
      const s = runner.stats;
      recordTierCounts({ passed: s?.passes ?? 0, failed: s?.failures ?? 0, skipped: s?.pending ?? 0 });
    });
  }
}

module.exports = CountingReporter;
