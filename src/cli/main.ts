import { hideBin } from 'yargs/helpers';
import { createCli } from './cli.js';
import { reportError } from './errors.js';

try {
  await createCli(hideBin(process.argv)).parseAsync();
} catch (error) {
  process.exitCode = reportError(error);
}
