import { hideBin } from 'yargs/helpers';
import { createCli } from './cli.js';
import { reportError } from './errors.js';
import { printJson } from '../report/envelope.js';
import { failureReport } from '../report/failure-report.js';
import { UsageError } from '../util/errors.js';

const argv = hideBin(process.argv);
try {
  await createCli(argv).parseAsync();
} catch (error) {
  // A command line it does not take never reaches a handler (which prints its own failure
  // report with --json): its report is printed here, so that --json always ends in one.
  if (error instanceof UsageError && argv.includes('--json')) printJson(failureReport(error));
  process.exitCode = reportError(error);
}
