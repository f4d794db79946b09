// kmemmap: the snapshot core on the command line.
// Each subcommand lives in cli/commands/<name>.ts and registers itself on the program.

import { Command } from 'commander';
import { SnapshotError } from '../parsers/errors';
import { registerSnapshotCommands } from './commands/snapshotCommands';
import { registerExplainCommand } from './commands/explain';
import { registerDecodeCommand } from './commands/decode';
import { registerDiffCommand } from './commands/diff';
import { registerReviewCommand } from './commands/review';
import { printError } from './output';

const program = new Command();
program
  .name('kmemmap')
  .description('Kernel Memmap Explorer: the state of every page frame in a vmcore, kdump file or kpageflags capture')
  .showHelpAfterError()
  .configureOutput({ outputError: (str, write) => write(str) });

registerSnapshotCommands(program);
registerExplainCommand(program);
registerDecodeCommand(program);
registerDiffCommand(program);
registerReviewCommand(program);
// Further command groups register here, one line each.

program.parseAsync(process.argv).catch((e: unknown) => {
  if (e instanceof SnapshotError) {
    printError(e.message);
    process.exit(2);
  }
  const err = e as Error & { name?: string };
  // Errors raised by readers for bad input carry a name ending in "Error" and a clear message.
  if (
    err &&
    typeof err.message === 'string' &&
    err.name &&
    err.name !== 'Error' &&
    err.name.endsWith('Error') &&
    !(e instanceof TypeError) &&
    !(e instanceof RangeError)
  ) {
    printError(err.message);
    process.exit(2);
  }
  printError(`internal error: ${err?.stack ?? String(e)}`);
  process.exit(70);
});
