import { join } from 'node:path';
import { execa } from 'execa';
import { beforeAll, describe, expect, it } from 'vitest';
import { CI_TEMPLATES } from '../../support/ci-pipeline.js';
import { loadSchemas, type SchemaSet } from '../../support/json-contract.js';

/**
 * ci-templates/select-releases.mjs: the CI matrix's releases from `tsbuild-patch releases --json`.
 * Its inputs are documents valid against schemas/releases.schema.json (checked here), so the
 * script reads what the tool prints.
 */
const SCRIPT = join(CI_TEMPLATES, 'select-releases.mjs');

const bookworm = ['6.1.0-47-amd64', '6.1.0-50-amd64', '6.1.0-57-amd64'];
const trixie = ['6.12.115+deb13-amd64', '6.12.118+deb13-amd64'];
const distribution = (id: string, releases: string[]) => ({
  distribution: id,
  description: id,
  suites: [id],
  lists: '2026-01-01T00:00:00.000Z',
  releases: releases.map((release, i) => ({ release, version: `1.${i}` })),
});
const listing = (...distributions: ReturnType<typeof distribution>[]) => ({
  schemaVersion: 1,
  outcome: 'done',
  exitCode: 0,
  distributions,
});

let schemas: SchemaSet;
beforeAll(async () => {
  schemas = await loadSchemas();
});

async function select(document: unknown, env: Record<string, string> = {}) {
  const validate = schemas.validators.get('releases')!;
  if ((document as { outcome?: string }).outcome === 'done')
    expect(validate(document), schemas.ajv.errorsText(validate.errors)).toBe(true);
  const result = await execa('node', [SCRIPT], {
    input: JSON.stringify(document),
    reject: false,
    env: { LIVEPATCH_RELEASES: '', LIVEPATCH_NEWEST: '', ...env },
  });
  return {
    exitCode: result.exitCode,
    releases: result.exitCode === 0 ? (JSON.parse(String(result.stdout)) as string[]) : undefined,
    stderr: String(result.stderr),
  };
}

describe('select-releases.mjs', () => {
  it('takes every release the archive can build, of each distribution release, oldest first', async () => {
    const both = listing(distribution('debian-bookworm', bookworm), distribution('debian-trixie', trixie));
    expect((await select(both)).releases).toEqual([...bookworm, ...trixie]);
  });

  it('LIVEPATCH_NEWEST: the N newest of each distribution release', async () => {
    const both = listing(distribution('debian-bookworm', bookworm), distribution('debian-trixie', trixie));
    expect((await select(both, { LIVEPATCH_NEWEST: '1' })).releases).toEqual([
      '6.1.0-57-amd64',
      '6.12.118+deb13-amd64',
    ]);
    expect((await select(both, { LIVEPATCH_NEWEST: '2' })).releases).toEqual([
      '6.1.0-50-amd64',
      '6.1.0-57-amd64',
      ...trixie,
    ]);
    const bad = await select(both, { LIVEPATCH_NEWEST: 'two' });
    expect(bad.exitCode).toBe(1);
    expect(bad.stderr).toContain('LIVEPATCH_NEWEST=two: not a number of releases');
  });

  it('LIVEPATCH_RELEASES: exactly those, in the archive order; one it cannot build fails, naming what it can', async () => {
    const one = listing(distribution('debian-bookworm', bookworm));
    expect((await select(one, { LIVEPATCH_RELEASES: '6.1.0-57-amd64 6.1.0-47-amd64' })).releases).toEqual([
      '6.1.0-47-amd64',
      '6.1.0-57-amd64',
    ]);
    expect((await select(one, { LIVEPATCH_RELEASES: '6.1.0-50-amd64,' })).releases).toEqual(['6.1.0-50-amd64']);
    const gone = await select(one, { LIVEPATCH_RELEASES: '6.1.0-57-amd64 6.1.0-40-amd64' });
    expect(gone.exitCode).toBe(1);
    expect(gone.stderr).toContain(
      'the archive cannot build 6.1.0-40-amd64 today; it can build: 6.1.0-47-amd64, 6.1.0-50-amd64, 6.1.0-57-amd64',
    );
    const both = await select(one, { LIVEPATCH_RELEASES: '6.1.0-57-amd64', LIVEPATCH_NEWEST: '1' });
    expect(both.exitCode).toBe(1);
    expect(both.stderr).toContain('set one of them');
  });

  it('fails on nothing to build and on input that is not the listing', async () => {
    const none = await select(listing(distribution('debian-bookworm', [])));
    expect(none.exitCode).toBe(1);
    expect(none.stderr).toContain('no release to build: debian-bookworm can build none today');
    const failure = await select({ schemaVersion: 1, outcome: 'failed', exitCode: 1, message: 'no network' });
    expect(failure.exitCode).toBe(1);
    expect(failure.stderr).toContain('not the output of tsbuild-patch releases --json');
  });
});
