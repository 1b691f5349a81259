/**
 * The Debian 13 and backports kernel releases the kernel tests build for and boot, chosen at run
 * time from the archive's current lists (the tool's own, see src/sources/debian/catalog.ts),
 * because Debian's archive drops old releases:
 * - trixie: the newest release the archive can build, and the oldest it still can;
 * - backports: the newest of bookworm-backports (6.12 for Debian 12) and of trixie-backports (7.x).
 * TSBP_DEBIAN13_RELEASES="NEWEST OLDER" pins the trixie pair (both must be buildable today).
 * Memoized per process: every test file of a run that asks gets the same answer.
 */
import { buildableReleases } from '../../../src/sources/debian/catalog.js';
import {
  DEBIAN_BOOKWORM_BACKPORTS,
  DEBIAN_TRIXIE,
  DEBIAN_TRIXIE_BACKPORTS,
  type DistroRelease,
} from '../../../src/kernel/distributions.js';
import { NoReleaseToTest } from '../debian/releases.js';

export interface Debian13TestReleases {
  /** Trixie's newest buildable release, then its oldest. */
  trixie: readonly [string, string];
  /** The newest buildable release of bookworm-backports, then of trixie-backports. */
  backports: readonly [string, string];
}

export const PIN_VARIABLE = 'TSBP_DEBIAN13_RELEASES';

async function newestOf(distro: DistroRelease): Promise<string> {
  const all = await buildableReleases(distro);
  const newest = all[all.length - 1];
  if (!newest) throw new NoReleaseToTest(`the archive can build no release of ${distro.description}`);
  return newest.release;
}

async function choose(): Promise<Debian13TestReleases> {
  const all = await buildableReleases(DEBIAN_TRIXIE);
  const names = all.map((r) => r.release);
  const pinned = process.env[PIN_VARIABLE]?.trim();
  let trixie: [string, string];
  if (pinned) {
    const [newest, older, ...rest] = pinned.split(/[\s,]+/);
    if (!newest || !older || rest.length > 0 || !names.includes(newest) || !names.includes(older))
      throw new NoReleaseToTest(
        `${PIN_VARIABLE}="${pinned}" must name two releases the archive can build; it can build: ${names.join(', ')}`,
      );
    trixie = [newest, older];
  } else {
    if (names.length < 2)
      throw new NoReleaseToTest(`the archive can build ${names.length} release(s) of Debian 13, the tests need two`);
    trixie = [names[names.length - 1]!, names[0]!];
  }
  const backports: [string, string] = [
    await newestOf(DEBIAN_BOOKWORM_BACKPORTS),
    await newestOf(DEBIAN_TRIXIE_BACKPORTS),
  ];
  process.stderr.write(
    `Debian 13 releases under test${pinned ? ` (pinned by ${PIN_VARIABLE})` : ''}: newest ${trixie[0]}, older ${trixie[1]}; ` +
      `backports: ${backports.join(', ')} (trixie can build: ${names.join(', ')})\n`,
  );
  return { trixie, backports };
}

let memo: Promise<Debian13TestReleases> | undefined;

/** The releases under test, the same for every caller of one process. */
export function debian13TestReleases(): Promise<Debian13TestReleases> {
  memo ??= choose();
  return memo;
}
