/**
 * The Debian 12 kernel releases the kernel tests build for and boot, chosen at run time from the
 * archive's current package lists (apt-cache, read by the tool's own buildableReleases), because
 * Debian's archive drops old kernel ABIs and a pinned release dies with it:
 * - newest: the newest release the archive can build (image, headers, debug info and source of
 *   one version);
 * - older: a second source version: the release of the real-fixes corpus sample
 *   (../corpus/real-fixes.json) while the archive still builds it at the sample's source version,
 *   so that a run prepares one older tree, not two (CI's time from nothing, issue 19); else the
 *   oldest release it can still build, as far from the newest as the archive serves (which is
 *   also the release the corpus test falls back to);
 * - unbuildable: a release of the series the archive cannot build (an ABI number missing from
 *   the buildable list: a gap in it, else one below or above it), for the refusal tests.
 *
 * TSBP_DEBIAN_RELEASES="NEWEST OLDER" pins the first two (e.g. to keep a CI cache warm); both
 * must be buildable today.
 *
 * One choice per test run: the kernel project's global setup (./global-setup.ts) makes it, prints
 * it once on stderr and hands it to every test file (vitest's provide/inject); a process outside
 * that setup makes it on its first call (memoized). When the archive cannot serve two releases,
 * the test files fail with one message saying so, not a stack trace.
 */
import { readFileSync } from 'node:fs';
import {
  buildableReleases,
  newestBuildableRelease,
  type BuildableRelease,
} from '../../../src/sources/debian/catalog.js';
import { DEBIAN_BOOKWORM } from '../../../src/kernel/distributions.js';

export interface DebianTestReleases {
  /** The newest buildable release, then the older one: what most tests iterate over. */
  releases: readonly [string, string];
  newest: BuildableRelease;
  older: BuildableRelease;
  /** A release of the series that the archive cannot build. */
  unbuildable: string;
  /** Everything the archive can build today, oldest first. */
  buildable: readonly BuildableRelease[];
  /** Whether TSBP_DEBIAN_RELEASES chose newest and older. */
  pinned: boolean;
}

/** What the global setup hands to the test files: the choice, or why there is none. */
export type ReleaseChoice = { ok: true; value: DebianTestReleases } | { ok: false; message: string };

declare module 'vitest' {
  export interface ProvidedContext {
    debianTestReleases: ReleaseChoice;
  }
}

export const PIN_VARIABLE = 'TSBP_DEBIAN_RELEASES';

/** An error that is its message: vitest shows it without a stack trace. */
export class NoReleaseToTest extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'NoReleaseToTest';
    this.stack = `${this.name}: ${message}`;
  }
}

/** The release and source version the real-fixes corpus sample was measured on. */
const CORPUS_SAMPLE = (() => {
  const sample = JSON.parse(readFileSync(new URL('../corpus/real-fixes.json', import.meta.url), 'utf8')) as {
    corpus: string;
    release: string;
  };
  return { release: sample.release, version: sample.corpus.split('..')[0] };
})();

const abiOf = (release: string) => Number(/^6\.1\.0-(\d+)-amd64$/.exec(release)?.[1]);
const releaseOf = (abi: number) => `6.1.0-${abi}-amd64`;
const listed = (all: readonly BuildableRelease[]) => all.map((r) => `${r.release} (${r.version})`).join(', ') || 'none';

/**
 * An ABI number of the series missing from the buildable list: the highest gap between its
 * oldest and newest release, else the one below the oldest, else the one above the newest.
 */
export function unbuildableRelease(buildable: readonly BuildableRelease[]): string {
  const abis = new Set(buildable.map((r) => abiOf(r.release)));
  const sorted = [...abis].sort((a, b) => a - b);
  const low = sorted[0] ?? 1;
  const high = sorted[sorted.length - 1] ?? 1;
  for (let abi = high - 1; abi > low; abi--) if (!abis.has(abi)) return releaseOf(abi);
  return releaseOf(low > 1 ? low - 1 : high + 1);
}

/** The choice, from the archive's lists as they are now (pinned by TSBP_DEBIAN_RELEASES if set). */
export async function chooseDebianTestReleases(env: NodeJS.ProcessEnv = process.env): Promise<DebianTestReleases> {
  const distro = DEBIAN_BOOKWORM;
  // Refreshes the package lists once (as root) when they hold no buildable release at all.
  await newestBuildableRelease(distro).catch(() => {
    throw new NoReleaseToTest(
      `the package archive can build no kernel release of ${distro.description} (apt-cache lists none with image, headers, debug and source of one version); the kernel tests need two: run \`apt-get update\`, check the apt sources`,
    );
  });
  const buildable = await buildableReleases(distro);
  const find = (release: string) => buildable.find((r) => r.release === release);
  let newest: BuildableRelease | undefined;
  let older: BuildableRelease | undefined;
  const pinned = env[PIN_VARIABLE]?.trim();
  if (pinned) {
    const names = pinned.split(/[\s,]+/);
    newest = find(names[0] ?? '');
    older = find(names[1] ?? '');
    if (names.length !== 2 || !newest || !older || abiOf(newest.release) <= abiOf(older.release)) {
      throw new NoReleaseToTest(
        `${PIN_VARIABLE}="${pinned}" must name two releases the archive can build, the newer first; it can build: ${listed(buildable)}`,
      );
    }
  } else {
    newest = buildable[buildable.length - 1];
    const sampled = find(CORPUS_SAMPLE.release);
    older = sampled?.version === CORPUS_SAMPLE.version && sampled !== newest ? sampled : buildable[0];
    if (!newest || !older || newest === older) {
      throw new NoReleaseToTest(
        `the package archive can build ${buildable.length === 1 ? 'only one' : 'no'} kernel release of ${distro.description} (${listed(buildable)}); the kernel tests need a newest and an older one: run \`apt-get update\`, check the apt sources`,
      );
    }
  }
  return {
    releases: [newest.release, older.release],
    newest,
    older,
    unbuildable: unbuildableRelease(buildable),
    buildable,
    pinned: Boolean(pinned),
  };
}

/** One line for the log: what was chosen, from what. */
export function describeChoice(choice: DebianTestReleases): string {
  const pinned = choice.pinned ? ` (pinned by ${PIN_VARIABLE})` : '';
  return (
    `Debian kernel releases under test${pinned}: newest ${choice.newest.release} (${choice.newest.version}), ` +
    `older ${choice.older.release} (${choice.older.version}); unbuildable: ${choice.unbuildable}; ` +
    `the archive can build ${choice.buildable.map((r) => abiOf(r.release)).join(', ')}`
  );
}

/** The choice as the global setup hands it over (never throws). */
export async function releaseChoice(): Promise<ReleaseChoice> {
  try {
    return { ok: true, value: await chooseDebianTestReleases() };
  } catch (error) {
    return {
      ok: false,
      message:
        error instanceof NoReleaseToTest
          ? error.message
          : `choosing the Debian releases to test failed: ${String(error)}`,
    };
  }
}

let memo: Promise<DebianTestReleases> | undefined;

async function resolveChoice(): Promise<DebianTestReleases> {
  // In a vitest worker of the kernel project, the global setup's choice; elsewhere, our own.
  const provided = await import('vitest').then(
    (vitest) => {
      try {
        return vitest.inject('debianTestReleases') as ReleaseChoice | undefined;
      } catch {
        return undefined;
      }
    },
    () => undefined,
  );
  if (provided) {
    if (!provided.ok) throw new NoReleaseToTest(provided.message);
    return provided.value;
  }
  const choice = await chooseDebianTestReleases();
  process.stderr.write(`${describeChoice(choice)}\n`);
  return choice;
}

/** The releases under test, the same for every caller of one test run. */
export function debianTestReleases(): Promise<DebianTestReleases> {
  memo ??= resolveChoice();
  return memo;
}

/** [newest, older]: the two releases most kernel tests build for and boot. */
export async function debianReleases(): Promise<readonly [string, string]> {
  return (await debianTestReleases()).releases;
}
