import type { Argv, CommandModule } from 'yargs';
import { CACHE_ENTRY_KINDS, type CacheEntryKind } from '../../cache/entries.js';
import { entryJson, formatListing, formatPrune } from '../../cache/format.js';
import { listCache } from '../../cache/listing.js';
import { pruneCache, type PruneFilter } from '../../cache/prune.js';
import { cacheRoot } from '../../util/cache.js';
import { UserError } from '../../util/errors.js';
import { exitStatusHelp } from '../../util/outcomes.js';
import { printJson, withEnvelope } from '../../report/envelope.js';

interface Args {
  action: 'list' | 'prune';
  json: boolean;
  olderThan?: number;
  release?: string;
  kind?: CacheEntryKind[];
  all: boolean;
  dryRun: boolean;
}

const PRUNABLE_KINDS = CACHE_ENTRY_KINDS.filter((kind) => kind !== 'other');

function pruneFilter(args: Args): PruneFilter {
  if (args.olderThan !== undefined && !(args.olderThan >= 0))
    throw new UserError(`--older-than takes a number of days (given: ${args.olderThan})`);
  const filter: PruneFilter = {
    ...(args.olderThan !== undefined ? { olderThanDays: args.olderThan } : {}),
    ...(args.release !== undefined ? { release: args.release } : {}),
    ...(args.kind !== undefined ? { kinds: args.kind } : {}),
    ...(args.all ? { all: true } : {}),
  };
  if (Object.keys(filter).length === 0) {
    throw new UserError(
      'say what to remove: --older-than DAYS, --release REL, --kind KIND, or --all (see `tsbuild-patch cache` for the entries)',
    );
  }
  return filter;
}

export const cacheCommand: CommandModule<object, Args> = {
  command: 'cache [action]',
  describe:
    "Show what the cache holds (kernels' packages, prepared trees and their batch slots, the test kernel, run logs...) with sizes on disk and last use, or remove entries not in use",
  builder: (y) =>
    y
      .positional('action', {
        choices: ['list', 'prune'] as const,
        default: 'list' as const,
        describe: 'list the entries, or prune (remove) those the options select',
      })
      .option('json', { type: 'boolean', default: false, describe: 'print JSON' })
      .option('older-than', { type: 'number', group: 'Prune:', describe: 'entries last used more than DAYS days ago' })
      .option('release', {
        type: 'string',
        group: 'Prune:',
        describe: 'entries of this kernel release (its packages, trees, slots, builds)',
      })
      .option('kind', {
        type: 'string',
        array: true,
        choices: PRUNABLE_KINDS,
        group: 'Prune:',
        describe: 'entries of these kinds',
      })
      .option('all', { type: 'boolean', default: false, group: 'Prune:', describe: 'every entry not in use' })
      .option('dry-run', {
        type: 'boolean',
        default: false,
        group: 'Prune:',
        describe: 'show what would be removed, remove nothing',
      })
      .example('$0 cache', 'entries with their size, what removing each frees, last use')
      .example('$0 cache prune --older-than 30 --dry-run', 'what a prune of entries unused for a month would free')
      .example('$0 cache prune --release 6.1.0-50-amd64', 'everything kept for one kernel release')
      .epilogue(exitStatusHelp('cache')) as unknown as Argv<Args>,
  handler: async (args) => {
    const root = cacheRoot();
    const nowMs = Date.now();
    const filter = args.action === 'prune' ? pruneFilter(args) : undefined;
    if (
      !filter &&
      (args.olderThan !== undefined || args.release !== undefined || args.kind !== undefined || args.all || args.dryRun)
    ) {
      throw new UserError('--older-than, --release, --kind, --all and --dry-run go with `cache prune`');
    }
    const listing = await listCache(root);
    if (!filter) {
      if (args.json)
        printJson(
          withEnvelope('done', {
            action: 'list',
            root,
            totalBytes: listing.totalBytes,
            entries: listing.entries.map((entry) => entryJson(entry, nowMs)),
          }),
        );
      else process.stdout.write(formatListing(listing, nowMs));
      return;
    }
    const outcomes = await pruneCache({
      root,
      entries: listing.entries,
      runs: listing.runs,
      filter,
      dryRun: args.dryRun,
      nowMs,
    });
    // A prune's JSON was a bare array, which has no room for the envelope: its entries are now
    // under `entries` (each with its own outcome: removed, would-remove, kept...).
    if (args.json)
      printJson(
        withEnvelope('done', {
          action: 'prune',
          root,
          dryRun: args.dryRun,
          entries: outcomes.map(({ entry, outcome, reason }) => ({
            outcome,
            ...(reason ? { reason } : {}),
            ...entryJson(entry, nowMs),
          })),
        }),
      );
    else process.stdout.write(formatPrune(outcomes));
  },
};
