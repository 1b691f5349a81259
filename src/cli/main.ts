import yargs from 'yargs';
import { hideBin } from 'yargs/helpers';
import { commands } from './commands/index.js';
import { reportError } from './errors.js';
import { toolVersion } from '../util/tool-version.js';
import { exitCodeOf } from '../util/outcomes.js';

const cli = yargs(hideBin(process.argv))
  .scriptName('tsbuild-patch')
  .usage('$0 <command> [options]\n\nBuild Linux livepatch modules from source patches.')
  .strict()
  .demandCommand(1, 'Name a command (see --help).')
  .recommendCommands()
  .help()
  .alias('h', 'help')
  .version(toolVersion())
  .wrap(Math.min(110, process.stdout.columns || 100))
  .fail((msg, err) => {
    if (err) throw err;
    process.stderr.write(`tsbuild-patch: ${msg}\nRun 'tsbuild-patch --help' for usage.\n`);
    process.exit(exitCodeOf('failed'));
  });

for (const command of commands) cli.command(command);

try {
  await cli.parseAsync();
} catch (error) {
  process.exitCode = reportError(error);
}
