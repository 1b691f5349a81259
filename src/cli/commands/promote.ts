import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { SUITES } from '../../deploy/repository/layout.js';
import { promotePackages } from '../../deploy/repository/repository.js';
import { stderrLogger } from '../../util/log.js';
import { exitStatusHelp } from '../../util/outcomes.js';
import { printJson, withEnvelope } from '../../report/envelope.js';

interface Args {
  packages: string[];
  repo: string;
  from: string;
  to: string;
  gnupghome?: string;
  json: boolean;
}

export const promoteCommand: CommandModule<object, Args> = {
  command: 'promote [packages..]',
  describe:
    'Copy packages of a repository made by publish from one suite to the next (default: testing to stable; all packages when none is named)',
  builder: (y) =>
    y
      .positional('packages', { type: 'string', array: true, default: [], describe: 'package names' })
      .option('repo', { type: 'string', demandOption: true, describe: 'repository directory (as given to publish)' })
      .option('from', { type: 'string', choices: [...SUITES], default: 'testing' })
      .option('to', { type: 'string', choices: [...SUITES], default: 'stable' })
      .option('gnupghome', { type: 'string', describe: 'gpg home with the signing key (default: REPO/gnupg)' })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
      .epilogue(exitStatusHelp('promote')),
  handler: async (args) => {
    const promoted = await promotePackages(resolve(args.repo), args.packages, args.from, args.to, {
      log: stderrLogger,
      ...(args.gnupghome ? { gnupgHome: resolve(args.gnupghome) } : {}),
    });
    if (args.json) printJson(withEnvelope('done', { from: args.from, to: args.to, packages: promoted }));
    else
      process.stdout.write(
        `${args.to}: ${promoted.map((p) => `${p.name} ${p.version} (${p.architecture})`).join(', ') || '(nothing)'}\n`,
      );
  },
};
