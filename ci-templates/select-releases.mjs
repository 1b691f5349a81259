#!/usr/bin/env node
// The kernel releases a livepatch pipeline builds for, from `tsbuild-patch releases --json` on
// stdin (schemas/releases.schema.json: each distribution release's buildable releases, oldest
// first): all of them, the LIVEPATCH_NEWEST newest of each distribution release, or exactly the
// LIVEPATCH_RELEASES (space- or comma-separated; each must be buildable today). Prints a JSON
// array on stdout, in the archive's order: the input of a CI matrix.
import { readFileSync } from 'node:fs';

function fail(message) {
  process.stderr.write(`select-releases: ${message}\n`);
  process.exit(1);
}

const listing = JSON.parse(readFileSync(0, 'utf8'));
if (listing.outcome !== 'done' || !Array.isArray(listing.distributions))
  fail(`not the output of tsbuild-patch releases --json: ${JSON.stringify(listing).slice(0, 200)}`);

const wanted = (process.env.LIVEPATCH_RELEASES ?? '').split(/[\s,]+/).filter(Boolean);
const newestText = (process.env.LIVEPATCH_NEWEST ?? '').trim();
const newest = newestText === '' ? undefined : Number(newestText);
if (newest !== undefined && !(Number.isInteger(newest) && newest > 0))
  fail(`LIVEPATCH_NEWEST=${newestText}: not a number of releases (1, 2, ...)`);
if (newest !== undefined && wanted.length > 0) fail('LIVEPATCH_RELEASES and LIVEPATCH_NEWEST: set one of them');

const buildable = listing.distributions.flatMap((d) => d.releases.map((r) => r.release));
let chosen;
if (wanted.length > 0) {
  const missing = wanted.filter((release) => !buildable.includes(release));
  if (missing.length > 0)
    fail(
      `the archive cannot build ${missing.join(', ')} today; it can build: ${buildable.join(', ') || 'nothing'} (LIVEPATCH_DISTRIBUTIONS: ${listing.distributions.map((d) => d.distribution).join(' ')})`,
    );
  chosen = buildable.filter((release) => wanted.includes(release));
} else {
  chosen = listing.distributions.flatMap((d) =>
    (newest === undefined ? d.releases : d.releases.slice(-newest)).map((r) => r.release),
  );
}
if (chosen.length === 0)
  fail(`no release to build: ${listing.distributions.map((d) => d.distribution).join(', ')} can build none today`);
process.stderr.write(`select-releases: ${chosen.length} release(s): ${chosen.join(' ')}\n`);
process.stdout.write(`${JSON.stringify(chosen)}\n`);
