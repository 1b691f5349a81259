import { resolve } from 'node:path';
import type { CommandModule } from 'yargs';
import { KEY_FILE_NAME, SUITES } from '../../deploy/repository/layout.js';
import { listSuite, publishPackages, sourcesLine } from '../../deploy/repository/repository.js';
import { stderrLogger } from '../../util/log.js';
import { exitStatusHelp } from '../../util/outcomes.js';
import { printJson, withEnvelope } from '../../report/envelope.js';

interface Args {
  debs: string[];
  repo: string;
  suite: string;
  gnupghome?: string;
  key?: string;
  json: boolean;
}

export const publishCommand: CommandModule<object, Args> = {
  command: 'publish <debs..>',
  describe:
    'Add packages to a signed apt repository on disk (reprepro; suites testing and stable; the key is generated on first use)',
  builder: (y) =>
    y
      .positional('debs', {
        type: 'string',
        array: true,
        demandOption: true,
        describe: '.deb files (from tsbuild-patch package)',
      })
      .option('repo', {
        type: 'string',
        demandOption: true,
        describe: 'repository directory (created if missing); serve its public/ subdirectory',
      })
      .option('suite', {
        type: 'string',
        choices: [...SUITES],
        default: 'testing',
        describe: 'suite to add to (promote to stable later)',
      })
      .option('gnupghome', {
        type: 'string',
        describe: 'gpg home with the signing key (default: REPO/gnupg, a key generated there)',
      })
      .option('key', {
        type: 'string',
        describe: 'fingerprint of the signing key in --gnupghome (when the repository is created)',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print the result as JSON' })
      .epilogue(exitStatusHelp('publish')),
  handler: async (args) => {
    const root = resolve(args.repo);
    const options = {
      log: stderrLogger,
      ...(args.gnupghome ? { gnupgHome: resolve(args.gnupghome) } : {}),
      ...(args.key ? { fingerprint: args.key } : {}),
    };
    const layout = await publishPackages(root, args.debs, args.suite, options);
    const packages = await listSuite(root, args.suite, options);
    const line = sourcesLine(`file:${layout.public}`, args.suite, `/usr/share/keyrings/${KEY_FILE_NAME}`);
    if (args.json) {
      printJson(
        withEnvelope('done', {
          repository: root,
          public: layout.public,
          key: layout.keyFile,
          suite: args.suite,
          packages,
          sourcesLine: line,
        }),
      );
      return;
    }
    process.stdout.write(
      `${args.suite}: ${packages.map((p) => `${p.name} ${p.version} (${p.architecture})`).join(', ')}\n`,
    );
    process.stdout.write(
      `serve ${layout.public}; on a machine: copy ${layout.keyFile} to /usr/share/keyrings/ and add\n  ${line}\n`,
    );
  },
};
