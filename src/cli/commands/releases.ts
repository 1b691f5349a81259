import type { Argv, CommandModule } from 'yargs';
import { DISTRIBUTIONS } from '../../kernel/distributions.js';
import { releasesByDistribution, type DistroReleases } from '../../sources/debian/catalog.js';
import { UserError } from '../../util/errors.js';
import { stderrLogger } from '../../util/log.js';
import { exitStatusHelp } from '../../util/outcomes.js';
import { printJson, withEnvelope } from '../../report/envelope.js';

interface Args {
  json: boolean;
  refresh: boolean;
  distribution?: string[];
}

/** The listing as text: one block per distribution release, a line per kernel release. */
export function formatReleases(all: readonly DistroReleases[]): string {
  return all
    .map((d) => {
      const head = `${d.description} [${d.distribution}] (suites ${d.suites.join(', ')}; lists of ${d.lists ?? '?'})`;
      const lines = d.releases.length
        ? d.releases.map((r) => `  ${r.release.padEnd(28)} ${r.version}`)
        : ['  (none can be built today)'];
      return [head, ...lines].join('\n');
    })
    .join('\n\n')
    .concat('\n');
}

export const releasesCommand: CommandModule<object, Args> = {
  command: 'releases',
  describe:
    "List the kernel releases the distributions' archives can build today (image, headers, debug and source packages of one version), per distribution release and suite: the input of a CI matrix",
  builder: (y) =>
    y
      .option('json', { type: 'boolean', default: false, describe: 'print JSON on stdout' })
      .option('refresh', {
        type: 'boolean',
        default: false,
        describe: 'fetch the package lists now (otherwise lists up to 6 hours old are used)',
      })
      .option('distribution', {
        type: 'string',
        array: true,
        choices: DISTRIBUTIONS.map((d) => d.id),
        describe: 'only these distribution releases',
      })
      .example('$0 releases', 'every release --kernel can build, newest last')
      .example(
        "$0 releases --json | jq -r '.distributions[].releases[-1].release'",
        'the newest release of each distribution release',
      )
      .epilogue(exitStatusHelp('releases')) as unknown as Argv<Args>,
  handler: async (args) => {
    const chosen = DISTRIBUTIONS.filter(
      (d) => d.acquirable && (!args.distribution || args.distribution.includes(d.id)),
    );
    if (chosen.length === 0) throw new UserError('no distribution release chosen');
    const all = await releasesByDistribution(chosen, stderrLogger, args.refresh ? 0 : undefined);
    if (args.json) printJson(withEnvelope('done', { distributions: all }));
    else process.stdout.write(formatReleases(all));
  },
};
