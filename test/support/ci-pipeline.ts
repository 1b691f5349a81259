/**
 * The CI templates (ci-templates/) run as a user runs them: a git repository of patches that
 * includes the GitLab pipeline, the project's CI/CD variables (gitlab-ci-local's project
 * variables file: File variables are written to files for the jobs, as GitLab does), throwaway
 * signing keys, gitlab-ci-local with the shell executor, and apt's view of the repository.
 */
import { chmod, cp, mkdir, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { execa } from 'execa';
import { stringify } from 'yaml';
import { aptOptionsFor } from './apt-repository.js';

export const ROOT = resolve(import.meta.dirname, '../..');
export const CI_TEMPLATES = join(ROOT, 'ci-templates');
const GITLAB_CI_LOCAL = join(ROOT, 'node_modules/.bin/gitlab-ci-local');

/**
 * A repository of patches whose .gitlab-ci.yml includes the template: ci-templates/ copied in,
 * patches/NAME for each entry of PATCHES, all committed.
 */
export async function patchRepository(directory: string, patches: Record<string, string>): Promise<string> {
  await mkdir(join(directory, 'patches'), { recursive: true });
  await cp(CI_TEMPLATES, join(directory, 'ci-templates'), { recursive: true });
  await writeFile(
    join(directory, '.gitlab-ci.yml'),
    'include:\n  - local: ci-templates/gitlab/livepatch.gitlab-ci.yml\n',
  );
  for (const [name, text] of Object.entries(patches)) await writeFile(join(directory, 'patches', name), text);
  const git = (args: string[]) => execa('git', args, { cwd: directory });
  await git(['init', '-q', '-b', 'main']);
  await git(['add', '-A']);
  await git([
    '-c',
    'user.name=tsbuild-patch tests',
    '-c',
    'user.email=tests@tsbuild-patch.invalid',
    'commit',
    '-qm',
    'patches',
  ]);
  return directory;
}

/** A project CI/CD variable: a value, or a File variable (its content, written to a file for the job). */
export type CiVariable = string | { file: string };

/** The project's CI/CD variables, in gitlab-ci-local's project variables file (not committed). */
export async function writeProjectVariables(project: string, variables: Record<string, CiVariable>): Promise<void> {
  const entries = Object.entries(variables).map(([name, value]) => [
    name,
    typeof value === 'string'
      ? { type: 'variable', values: { '*': value } }
      : { type: 'file', values: { '*': value.file } },
  ]);
  await writeFile(join(project, '.gitlab-ci-local-variables.yml'), stringify(Object.fromEntries(entries)));
}

/** A directory with `tsbuild-patch` in it, running COMMAND (an executable path), for the jobs' PATH. */
export async function toolOnPath(directory: string, command: string): Promise<string> {
  const bin = join(directory, 'bin');
  await mkdir(bin, { recursive: true });
  await symlink(command, join(bin, 'tsbuild-patch'));
  return bin;
}

/** `tsbuild-patch` from this checkout's sources (tsx), for tests that do not build dist/. */
export async function toolFromSources(directory: string): Promise<string> {
  const script = join(directory, 'tsbuild-patch-from-sources');
  await writeFile(
    script,
    `#!/bin/sh\nexec ${join(ROOT, 'node_modules/.bin/tsx')} ${join(ROOT, 'src/cli/main.ts')} "$@"\n`,
  );
  await chmod(script, 0o755);
  return script;
}

export interface PipelineRun {
  exitCode: number;
  output: string;
  /**
   * The jobs gitlab-ci-local's summary says passed, failed, and failed but were allowed to
   * (warned: the manual promote); a child pipeline's by their own names.
   */
  passed: string[];
  failed: string[];
  warned: string[];
}

/** Where gitlab-ci-local writes each job's File variables (/tmp, fixed), and leaves them. */
const FILE_VARIABLES = /^gitlab-ci-local-file-variables-/;
const fileVariableDirs = async () => new Set((await readdir('/tmp')).filter((name) => FILE_VARIABLES.test(name)));

/**
 * gitlab-ci-local in PROJECT with ARGS (shell executor: the jobs run in the project directory),
 * PATH led by BIN. Its exit status does not tell a failed child pipeline: read `failed`. The
 * File variables it wrote for the run's jobs (the test's keys) are removed after it.
 */
export async function gitlabCiLocal(
  project: string,
  args: string[],
  options: { bin: string; env?: Record<string, string> },
): Promise<PipelineRun> {
  const before = await fileVariableDirs();
  const result = await execa(GITLAB_CI_LOCAL, ['--no-color', ...args], {
    cwd: project,
    reject: false,
    all: true,
    env: { ...options.env, PATH: `${options.bin}:${process.env['PATH'] ?? ''}` },
  });
  for (const name of await fileVariableDirs())
    if (!before.has(name)) await rm(join('/tmp', name), { recursive: true, force: true });
  const output = String(result.all);
  const summary = (word: string) =>
    // ' FAIL  [trigger] -> job   pre_script': the name ends at two spaces (names have single ones).
    [...output.matchAll(new RegExp(`^ ${word} {2}(.+)$`, 'gm'))].map((m) =>
      m[1]!
        .split(/\s{2,}/)[0]!
        .trim()
        .replace(/^\[.+?\] -> /, ''),
    );
  return {
    exitCode: result.exitCode ?? -1,
    output,
    passed: summary('PASS'),
    failed: summary('FAIL'),
    warned: summary('WARN'),
  };
}

export interface ThrowawayKeys {
  /** The module signing key and its certificate (PEM), as sign-file takes them. */
  moduleKey: string;
  moduleCert: string;
  /** The certificate's subject CN and serial (as modinfo prints a signed module's signer and sig_key). */
  moduleSigner: string;
  moduleSerial: string;
  /** The repository's signing key: armored secret key, and its fingerprint. */
  repoKey: string;
  repoFingerprint: string;
}

/** Keys made for one test: a module signing key (openssl, RSA 2048) and a repository key (gpg, ed25519). */
export async function throwawayKeys(directory: string): Promise<ThrowawayKeys> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  const moduleKey = join(directory, 'module-key.pem');
  const moduleCert = join(directory, 'module-cert.pem');
  const moduleSigner = 'tsbuild-patch CI test module key';
  await execa('openssl', [
    'req',
    '-x509',
    '-newkey',
    'rsa:2048',
    '-nodes',
    '-keyout',
    moduleKey,
    '-out',
    moduleCert,
    '-days',
    '2',
    '-subj',
    `/CN=${moduleSigner}`,
    '-addext',
    'keyUsage=digitalSignature',
    '-addext',
    'basicConstraints=critical,CA:FALSE',
  ]);
  const serial = /serial=([0-9A-F]+)/.exec(
    String((await execa('openssl', ['x509', '-in', moduleCert, '-noout', '-serial'])).stdout),
  )![1]!;
  const home = join(directory, 'gnupg');
  await mkdir(home, { mode: 0o700 });
  const gpg = (args: string[]) => execa('gpg', ['--homedir', home, '--batch', '--no-tty', ...args]);
  const made = await gpg([
    '--status-fd',
    '1',
    '--pinentry-mode',
    'loopback',
    '--passphrase',
    '',
    '--quick-generate-key',
    'tsbuild-patch CI test repository <ci@tsbuild-patch.invalid>',
    'ed25519',
    'sign',
    'never',
  ]);
  const repoFingerprint = /KEY_CREATED P ([0-9A-F]{40})/.exec(String(made.stdout))![1]!;
  const repoKey = join(directory, 'repo-key.asc');
  await writeFile(repoKey, String((await gpg(['--armor', '--export-secret-keys', repoFingerprint])).stdout) + '\n');
  await execa('gpgconf', ['--homedir', home, '--kill', 'gpg-agent'], { reject: false });
  return {
    moduleKey: await readFile(moduleKey, 'utf8'),
    moduleCert: await readFile(moduleCert, 'utf8'),
    moduleSigner,
    moduleSerial: serial.replace(/(..)(?!$)/g, '$1:'),
    repoKey: await readFile(repoKey, 'utf8'),
    repoFingerprint,
  };
}

/** What gpgv says of a suite's InRelease checked with the served key file alone (as apt's signed-by=). */
export async function verifyInRelease(publicDir: string, suite: string): Promise<{ ok: boolean; output: string }> {
  const result = await execa(
    'gpgv',
    [
      '--status-fd',
      '1',
      '--keyring',
      join(publicDir, 'tsbuild-patch-archive-keyring.gpg'),
      join(publicDir, 'dists', suite, 'InRelease'),
    ],
    { reject: false },
  );
  return { ok: result.exitCode === 0, output: `${String(result.stdout)}\n${String(result.stderr)}` };
}

/**
 * The packages of SUITE as apt on a machine sees them: `apt-get update` against the repository
 * at PUBLICDIR alone (signed-by its served key; a bad signature or index fails it), then each
 * package's fields (`apt-cache show`), undefined for a package the suite does not have.
 */
export async function aptPackages(
  publicDir: string,
  suite: string,
  names: readonly string[],
  state: string,
): Promise<Record<string, Record<string, string> | undefined>> {
  const options = await aptOptionsFor(publicDir, suite, state);
  const update = await execa('apt-get', [...options, 'update'], { reject: false, all: true });
  if (update.exitCode !== 0 || /^(W|E): /m.test(String(update.all)))
    throw new Error(`apt-get update of ${suite} failed:\n${String(update.all)}`);
  const packages: Record<string, Record<string, string> | undefined> = {};
  for (const name of names) {
    const show = await execa('apt-cache', [...options, 'show', '--no-all-versions', name], { reject: false });
    packages[name] = show.exitCode === 0 ? controlFields(String(show.stdout)) : undefined;
  }
  return packages;
}

/** The fields of one control stanza (continuation lines joined with newlines). */
function controlFields(stanza: string): Record<string, string> {
  const fields: Record<string, string> = {};
  let last: string | undefined;
  for (const line of stanza.split('\n')) {
    const field = /^([\w-]+):\s?(.*)$/.exec(line);
    if (field) fields[(last = field[1]!)] = field[2]!;
    else if (last && /^\s/.test(line)) fields[last] += `\n${line.trim()}`;
  }
  return fields;
}
