import { access, mkdir, readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { UserError } from '../../util/errors.js';
import type { Logger } from '../../util/log.js';
import { ensureSigningKey, exportPublicKey, stopAgent, withGnupgHome } from './gpg-key.js';
import { COMPONENT, repositoryLayout, SUITES, type RepositoryLayout } from './layout.js';
import { checkModuleNamesAgainstPublished } from './module-names.js';
import { renderDistributions, renderOptions } from './reprepro-config.js';

export interface RepositoryOptions {
  /** Where the signing key is (default: the repository's own gnupg/, generated on first use). */
  gnupgHome?: string;
  /** Fingerprint of the key to sign with (default: the first signing key of gnupgHome). */
  fingerprint?: string;
  architectures?: readonly string[];
  log: Logger;
}

export interface PackageEntry {
  suite: string;
  architecture: string;
  name: string;
  version: string;
}

async function exists(path: string): Promise<boolean> {
  return access(path).then(
    () => true,
    () => false,
  );
}

async function reprepro(layout: RepositoryLayout, args: string[]): Promise<string> {
  const result = await execa('reprepro', ['--basedir', layout.root, '--gnupghome', layout.gnupg, ...args], {
    reject: false,
    env: { GNUPGHOME: layout.gnupg },
  });
  if (result.failed) {
    if ((result as { code?: string }).code === 'ENOENT')
      throw new UserError('reprepro is not installed', { hint: 'apt-get install reprepro' });
    throw new UserError(`reprepro ${args[0]} failed: ${String(result.stderr).trim() || String(result.stdout).trim()}`);
  }
  return String(result.stdout);
}

/** The key conf/distributions signs with (SignWith, the same for every suite). */
async function signWith(layout: RepositoryLayout): Promise<string> {
  const conf = await readFile(join(layout.conf, 'distributions'), 'utf8');
  const fingerprint = /^SignWith:\s*(\S+)\s*$/m.exec(conf)?.[1];
  if (!fingerprint) throw new UserError(`${join(layout.conf, 'distributions')} names no signing key (SignWith)`);
  return fingerprint;
}

/**
 * The served public key files, exported from the gpg home: the key reprepro signs with, and
 * nothing else. Written when they differ, so a repository made by a version that could write a
 * damaged key (one byte short) gets the whole key at its next publish or promote.
 */
async function writeKeyFiles(layout: RepositoryLayout, fingerprint: string, log: Logger): Promise<void> {
  for (const [path, armor] of [
    [layout.keyFile, false],
    [layout.armoredKeyFile, true],
  ] as const) {
    const key = await exportPublicKey(layout.gnupg, fingerprint, armor);
    const current = await readFile(path).catch(() => undefined);
    if (current?.equals(key)) continue;
    if (current) log(`${path} did not hold the signing key ${fingerprint} as gpg exports it: rewritten`);
    await writeFile(path, key);
  }
}

/**
 * What apt does with signed-by=: every suite's InRelease and Release.gpg must verify with the
 * served key file alone (gpgv --keyring), or the publish fails here instead of on every machine
 * with NO_PUBKEY.
 */
async function checkSignatures(layout: RepositoryLayout, suites: readonly string[]): Promise<void> {
  for (const suite of suites) {
    const dists = join(layout.public, 'dists', suite);
    for (const files of [[join(dists, 'InRelease')], [join(dists, 'Release.gpg'), join(dists, 'Release')]]) {
      const result = await execa('gpgv', ['--homedir', layout.gnupg, '--keyring', layout.keyFile, ...files], {
        reject: false,
      });
      if ((result as { code?: string }).code === 'ENOENT')
        throw new UserError('gpgv is not installed', { hint: 'apt-get install gpgv' });
      if (result.exitCode !== 0) {
        throw new UserError(
          `${files[0]} does not verify with the served key ${layout.keyFile}: ${String(result.stderr).trim()}`,
        );
      }
    }
  }
}

/**
 * Create the repository (once): the signing key (generated unless one is given), reprepro's
 * configuration with the suites testing and stable, the exported public key, and empty signed
 * indexes for both suites. An existing repository is opened as it is.
 */
export async function openRepository(root: string, options: RepositoryOptions): Promise<RepositoryLayout> {
  const layout = repositoryLayout(root, options.gnupgHome);
  if (await exists(join(layout.conf, 'distributions'))) return layout;
  await mkdir(layout.conf, { recursive: true });
  await mkdir(layout.public, { recursive: true });
  let fingerprint = options.fingerprint;
  if (!fingerprint) {
    fingerprint = await ensureSigningKey(
      layout.gnupg,
      'tsbuild-patch repository signing key <tsbuild-patch@localhost>',
      options.log,
    );
    options.log(`repository signing key ${fingerprint} (in ${layout.gnupg})`);
  }
  await writeFile(
    join(layout.conf, 'distributions'),
    renderDistributions({
      suites: SUITES,
      architectures: options.architectures ?? ['amd64'],
      fingerprint,
      label: 'tsbuild-patch livepatches',
    }),
  );
  await writeFile(join(layout.conf, 'options'), renderOptions());
  await withGnupgHome(layout.gnupg, options.log, async () => {
    await writeKeyFiles(layout, fingerprint, options.log);
    try {
      await reprepro(layout, ['export']);
    } finally {
      await stopAgent(layout.gnupg);
    }
  });
  await checkSignatures(layout, SUITES);
  return layout;
}

function checkSuite(suite: string): void {
  if (!(SUITES as readonly string[]).includes(suite))
    throw new UserError(`unknown suite "${suite}"`, { hint: `suites: ${SUITES.join(', ')}` });
}

/** Add .deb files to SUITE; the indexes are regenerated and signed. */
export async function publishPackages(
  root: string,
  debs: readonly string[],
  suite: string,
  options: RepositoryOptions,
): Promise<RepositoryLayout> {
  checkSuite(suite);
  for (const deb of debs) if (!(await exists(deb))) throw new UserError(`${deb}: no such file`);
  const layout = await openRepository(root, options);
  await withGnupgHome(layout.gnupg, options.log, async () => {
    await writeKeyFiles(layout, await signWith(layout), options.log);
    try {
      await includeDebs(layout, debs, suite, options.log);
    } finally {
      await stopAgent(layout.gnupg);
    }
  });
  await checkSignatures(layout, [suite]);
  return layout;
}

async function includeDebs(
  layout: RepositoryLayout,
  debs: readonly string[],
  suite: string,
  log: Logger,
): Promise<void> {
  for (const deb of debs) {
    await checkModuleNamesAgainstPublished(layout.public, deb);
    log(`adding ${deb} to ${suite}`);
    await reprepro(layout, ['includedeb', suite, deb]).catch((error: unknown) => {
      if (error instanceof UserError && /can only be included again, if they are the same/.test(error.message)) {
        throw new UserError(`${deb}: the repository already has this package and version with different contents`, {
          hint: 'give the new build a new version (tsbuild-patch package --package-version)',
          cause: error,
        });
      }
      throw error;
    });
  }
}

/** Copy packages (by name; all of FROM when none is named) from one suite to another. */
export async function promotePackages(
  root: string,
  names: readonly string[],
  from: string,
  to: string,
  options: RepositoryOptions,
): Promise<PackageEntry[]> {
  checkSuite(from);
  checkSuite(to);
  if (from === to) throw new UserError(`cannot promote from ${from} to itself`);
  const layout = repositoryLayout(root, options.gnupgHome);
  if (!(await exists(join(layout.conf, 'distributions'))))
    throw new UserError(`${root} is not a tsbuild-patch repository (no conf/distributions)`);
  const available = await listSuite(root, from, options);
  const wanted = names.length > 0 ? names : [...new Set(available.map((p) => p.name))];
  const missing = wanted.filter((n) => !available.some((p) => p.name === n));
  if (missing.length > 0) throw new UserError(`not in ${from}: ${missing.join(', ')}`);
  if (wanted.length > 0) {
    await withGnupgHome(layout.gnupg, options.log, async () => {
      await writeKeyFiles(layout, await signWith(layout), options.log);
      try {
        await reprepro(layout, ['copy', to, from, ...wanted]);
      } finally {
        await stopAgent(layout.gnupg);
      }
    });
    await checkSignatures(layout, [to]);
  }
  return (await listSuite(root, to, options)).filter((p) => wanted.includes(p.name));
}

/** The packages of a suite, as reprepro lists them. */
export async function listSuite(
  root: string,
  suite: string,
  options: Pick<RepositoryOptions, 'gnupgHome'> = {},
): Promise<PackageEntry[]> {
  checkSuite(suite);
  const layout = repositoryLayout(root, options.gnupgHome);
  const out = await reprepro(layout, ['list', suite]);
  const entries: PackageEntry[] = [];
  for (const line of out.split('\n')) {
    const match = /^([^|]+)\|([^|]+)\|([^:]+): (\S+) (\S+)$/.exec(line.trim());
    if (match && match[2] === COMPONENT)
      entries.push({ suite: match[1]!, architecture: match[3]!, name: match[4]!, version: match[5]! });
  }
  return entries;
}

/** The line a machine puts in /etc/apt/sources.list.d/ to use the repository at URL. */
export function sourcesLine(url: string, suite: string, keyPath: string): string {
  return `deb [signed-by=${keyPath}] ${url} ${suite} ${COMPONENT}`;
}
