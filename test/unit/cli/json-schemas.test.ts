/**
 * The contract of machine output: every command's --json, run for real (the CLI as a
 * subprocess, on inputs that need no kernel build), is valid against its JSON Schema in
 * schemas/ (draft 2020-12, ajv), and carries schemaVersion, outcome and the exit code the
 * process exits with. Each schema is strict enough to matter: the same real output without one
 * of its required fields fails it.
 *
 * Not run here (kernel-bound): the run report of a built module and a module's batch line
 * (build.schema.json's runReport), vm-test (a VM boot) and test-kernel (a kernel build); their
 * schemas are compiled and checked against the table of outcomes all the same.
 */
import type { Ajv2020, ValidateFunction } from 'ajv/dist/2020.js';
import { execa } from 'execa';
import { chmod, mkdir, readdir, readFile, writeFile } from 'node:fs/promises';
import { join, resolve } from 'node:path';
import { dir, type DirectoryResult } from 'tmp-promise';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { exitCodeOf, OUTCOMES, type Outcome } from '../../../src/util/outcomes.js';
import { SCHEMA_VERSION } from '../../../src/report/envelope.js';
import { EXERCISE_VERDICTS } from '../../../src/report/exercise.js';
import { fakeLivepatchModule } from '../deploy/fake-livepatch.js';
import { loadSchemas, SCHEMAS_DIR } from '../../support/json-contract.js';

const ROOT = resolve(import.meta.dirname, '../../..');
const OBJS = join(ROOT, 'test/data/kpatch-unit-objs/x86_64');

type Json = Record<string, unknown>;

let tmp: DirectoryResult;
let cache: string;
let ajv: Ajv2020;
let validators = new Map<string, ValidateFunction>();

/** The schema of KIND (schemas/KIND.schema.json). */
function schema(kind: string): ValidateFunction {
  const validate = validators.get(kind);
  if (!validate) throw new Error(`no schema ${kind}`);
  return validate;
}

/** A real run of the CLI: its exit status and its stdout's JSON documents (one a line with LINES). */
async function run(args: string[], env: Record<string, string> = {}, lines = false) {
  const result = await execa(join(ROOT, 'node_modules/.bin/tsx'), [join(ROOT, 'src/cli/main.ts'), ...args], {
    reject: false,
    env: { TSBUILD_PATCH_CACHE: cache, ...env },
  });
  const stdout = String(result.stdout);
  const documents = lines
    ? stdout
        .split('\n')
        .filter(Boolean)
        .map((line) => JSON.parse(line) as Json)
    : [JSON.parse(stdout) as Json];
  return { exitCode: result.exitCode, documents, stderr: String(result.stderr) };
}

/** DOCUMENT is valid against KIND's schema, with the envelope of the process's exit status. */
function expectValid(kind: string, document: Json, exitCode?: number): void {
  const validate = schema(kind);
  expect(validate(document), `${kind}: ${ajv.errorsText(validate.errors)}`).toBe(true);
  expect(document['schemaVersion']).toBe(SCHEMA_VERSION);
  expect(document['exitCode']).toBe(exitCodeOf(document['outcome'] as Outcome));
  if (exitCode !== undefined) expect(document['exitCode']).toBe(exitCode);
}

/** DOCUMENT without FIELD (a dotted path for a nested one) fails KIND's schema. */
function expectInvalidWithout(kind: string, document: Json, field: string): void {
  const copy = structuredClone(document);
  const path = field.split('.');
  let holder: Record<string, unknown> = copy;
  for (const key of path.slice(0, -1)) holder = holder[key] as Record<string, unknown>;
  expect(path.at(-1)! in holder, `${kind}: the output has no ${field}`).toBe(true);
  delete holder[path.at(-1)!];
  expect(schema(kind)(copy), `${kind} accepts an output without ${field}`).toBe(false);
}

/** The real outputs, gathered once: kind → documents. */
const outputs = new Map<string, Json[]>();
const add = (kind: string, ...documents: Json[]) => outputs.set(kind, [...(outputs.get(kind) ?? []), ...documents]);

beforeAll(async () => {
  tmp = await dir({ unsafeCleanup: true });
  cache = join(tmp.path, 'cache');
  await mkdir(cache);
  ({ ajv, validators } = await loadSchemas());
}, 30_000);

afterAll(async () => {
  await tmp?.cleanup();
});

describe('the JSON Schemas', () => {
  it('are one per output kind plus the envelope, each compiled, each listed in package.json files', async () => {
    expect([...validators.keys()].sort()).toEqual(
      [
        'batch',
        'build',
        'build-releases',
        'cache',
        'diff',
        'envelope',
        'failure',
        'package',
        'promote',
        'publish',
        'releases',
        'stream',
        'test-kernel',
        'vm-test',
      ].sort(),
    );
    for (const validate of validators.values()) expect(typeof validate).toBe('function');
    const pkg = JSON.parse(await readFile(join(ROOT, 'package.json'), 'utf8')) as { files: string[] };
    expect(pkg.files).toContain('schemas');
  });

  it("envelope: its outcomes and their exit codes are the table's (src/util/outcomes.ts)", async () => {
    const envelope = JSON.parse(await readFile(join(SCHEMAS_DIR, 'envelope.schema.json'), 'utf8')) as {
      properties: { outcome: { enum: string[] } };
    };
    expect(envelope.properties.outcome.enum).toEqual(Object.keys(OUTCOMES));
    for (const [outcome, row] of Object.entries(OUTCOMES)) {
      expect(schema('envelope')({ schemaVersion: 1, outcome, exitCode: row.exitCode })).toBe(true);
      expect(schema('envelope')({ schemaVersion: 1, outcome, exitCode: row.exitCode + 1 })).toBe(false);
    }
    expect(schema('envelope')({ schemaVersion: 1, outcome: 'built' })).toBe(false);
  });
});

describe("vm-test's exercise (the calls counted while patched)", () => {
  const functionCalls = { object: 'vmlinux', function: 'f', sympos: 1, symbol: 'tsbp_new_f' };
  const document = (exercise: unknown) => ({
    schemaVersion: SCHEMA_VERSION,
    outcome: 'passed',
    exitCode: 0,
    status: 'ok',
    exitStatus: 0,
    output: '',
    kernelLog: '',
    values: {},
    exercise,
    exerciseRequired: false,
    console: '',
    problems: [],
    durationMs: 1,
  });

  it("has the verdicts of src/report/exercise.ts, and the build report's vmTest takes the same", async () => {
    const vmTest = JSON.parse(await readFile(join(SCHEMAS_DIR, 'vm-test.schema.json'), 'utf8')) as {
      $defs: { exercise: { items: { properties: { verdict: { enum: string[] } } } } };
    };
    expect(vmTest.$defs.exercise.items.properties.verdict.enum).toEqual([...EXERCISE_VERDICTS]);
    const build = JSON.parse(await readFile(join(SCHEMAS_DIR, 'build.schema.json'), 'utf8')) as {
      $defs: { runReport: { properties: { vmTest: { properties: { exercise: { $ref: string } } } } } };
    };
    expect(build.$defs.runReport.properties.vmTest.properties.exercise.$ref).toBe(
      'vm-test.schema.json#/$defs/exercise',
    );
  });

  it('takes counts and "not measured" with its reason, and refuses a count without a number or a reason', () => {
    const valid = [
      [],
      [{ module: 'm', verdict: 'exercised', functions: [{ ...functionCalls, calls: 2 }] }],
      [
        {
          module: 'm',
          verdict: 'not-measured',
          functions: [{ ...functionCalls, calls: null, reason: 'no kprobe events' }],
        },
      ],
    ];
    for (const exercise of valid)
      expect(schema('vm-test')(document(exercise)), ajv.errorsText(schema('vm-test').errors)).toBe(true);
    const invalid = [
      [{ module: 'm', verdict: 'not-measured', functions: [{ ...functionCalls, calls: null }] }],
      [{ module: 'm', verdict: 'exercised', functions: [{ ...functionCalls, calls: -1 }] }],
      [{ module: 'm', verdict: 'ran', functions: [] }],
      [{ module: 'm', verdict: 'exercised' }],
    ];
    for (const exercise of invalid) expect(schema('vm-test')(document(exercise)), JSON.stringify(exercise)).toBe(false);
  });
});

describe('real --json outputs', () => {
  it('diff: changed, and no change (an object against itself)', async () => {
    const pairs = await readdir(OBJS);
    const changed = await run([
      'diff',
      join(OBJS, 'bug-table-section.ORIG.o'),
      join(OBJS, 'bug-table-section.PATCHED.o'),
      '-o',
      join(tmp.path, 'patch.o'),
      '--json',
    ]);
    expect(changed.exitCode, changed.stderr).toBe(0);
    expectValid('diff', changed.documents[0]!, changed.exitCode);
    expect(changed.documents[0]!['outcome']).toBe('changed');
    add('diff', changed.documents[0]!);
    // The same object against itself: no change.
    const same = await run([
      'diff',
      join(OBJS, 'bug-table-section.ORIG.o'),
      join(OBJS, 'bug-table-section.ORIG.o'),
      '-o',
      join(tmp.path, 'same.o'),
      '--json',
    ]);
    expect(same.exitCode).toBe(exitCodeOf('no-change'));
    expectValid('diff', same.documents[0]!, same.exitCode);
    expect(pairs.length).toBeGreaterThan(0);
  });

  it('a failure of any command: a patch that is not there (build, several --kernel, batch), a diff of a missing object', async () => {
    const missing = join(tmp.path, 'no-such.patch');
    const build = await run([missing, '--container', 'none', '--json', '-q']);
    expect(build.exitCode).toBe(exitCodeOf('failed'));
    expectValid('failure', build.documents[0]!, build.exitCode);
    // The log directory of the run it ended (it was never set before).
    expect(build.documents[0]!['logDir']).toMatch(new RegExp(`^${cache}/runs/`));
    add('failure', build.documents[0]!);

    const releases = await run([
      missing,
      '--kernel',
      '6.1.0-9-amd64',
      '--kernel',
      '6.1.0-40-amd64',
      '--container',
      'none',
      '--json',
      '-q',
    ]);
    expect(releases.exitCode).toBe(exitCodeOf('failed'));
    expectValid('build-releases', releases.documents[0]!, releases.exitCode);
    expect((releases.documents[0]!['releases'] as Json[]).map((r) => r['outcome'])).toEqual(['failed', 'failed']);
    add('build-releases', releases.documents[0]!);

    const batch = await run(
      ['batch', missing, join(tmp.path, 'other.patch'), '--container', 'none', '--json', '-q'],
      {},
      true,
    );
    expect(batch.exitCode).toBe(exitCodeOf('failed'));
    expect(batch.documents.map((d) => d['kind'])).toEqual(['patch', 'patch', 'summary']);
    for (const line of batch.documents.slice(0, -1)) expectValid('batch', line);
    expectValid('batch', batch.documents.at(-1)!, batch.exitCode);
    expect(batch.documents.at(-1)!['patches']).toBe(2);
    add('batch', ...batch.documents);

    const diff = await run([
      'diff',
      join(tmp.path, 'a.o'),
      join(tmp.path, 'b.o'),
      '-o',
      join(tmp.path, 'c.o'),
      '--json',
    ]);
    expect(diff.exitCode).toBe(exitCodeOf('failed'));
    expectValid('failure', diff.documents[0]!, diff.exitCode);
  }, 60_000);

  it('stream: each release of a series whose patch is no diff fails; a series naming a missing patch fails the command', async () => {
    const series = join(tmp.path, 'stream');
    await mkdir(series, { recursive: true });
    await writeFile(join(series, 'notes.patch'), 'not a diff\n');
    await writeFile(join(series, 'series'), '# the fixes, in order\nnotes.patch -p1\n');
    const args = ['--stream', 'fixes', '--stream-version', '2', '--container', 'none', '--json', '-q'];
    const built = await run(['stream', series, ...args, '--kernel', '6.1.0-9-amd64', '--kernel', '6.1.0-40-amd64']);
    expect(built.exitCode, built.stderr).toBe(exitCodeOf('failed'));
    const document = built.documents[0]!;
    expectValid('stream', document, built.exitCode);
    expect(document['stream']).toEqual({
      name: 'fixes',
      version: 2,
      module: 'livepatch-fixes-2',
      package: 'livepatch-fixes',
      replace: false,
      series: join(series, 'series'),
      patches: [join(series, 'notes.patch')],
    });
    expect((document['releases'] as Json[]).map((r) => [r['release'], r['outcome']])).toEqual([
      ['6.1.0-9-amd64', 'failed'],
      ['6.1.0-40-amd64', 'failed'],
    ]);
    add('stream', document);

    await writeFile(join(series, 'series'), 'notes.patch\nmissing.patch\n');
    const missing = await run(['stream', series, ...args, '--kernel', '6.1.0-9-amd64']);
    expect(missing.exitCode).toBe(exitCodeOf('failed'));
    expectValid('failure', missing.documents[0]!, missing.exitCode);
    expect(missing.documents[0]!['message']).toContain(
      `${join(series, 'series')}:2: missing.patch: no such patch file`,
    );
  }, 60_000);

  it('cache list and prune on a scratch cache', async () => {
    // The runs of the failures above are in it (run if this test runs alone).
    await run([join(tmp.path, 'no-such.patch'), '--container', 'none', '--json', '-q']);
    const list = await run(['cache', 'list', '--json']);
    expect(list.exitCode, list.stderr).toBe(0);
    expectValid('cache', list.documents[0]!, 0);
    expect((list.documents[0]!['entries'] as Json[]).length).toBeGreaterThan(0);
    const prune = await run(['cache', 'prune', '--all', '--dry-run', '--json']);
    expect(prune.exitCode, prune.stderr).toBe(0);
    expectValid('cache', prune.documents[0]!, 0);
    expect((prune.documents[0]!['entries'] as Json[])[0]!['outcome']).toBe('would-remove');
    add('cache', list.documents[0]!, prune.documents[0]!);
  }, 60_000);

  it('releases, from a faked apt-cache', async () => {
    const bin = join(tmp.path, 'bin');
    await mkdir(join(bin, 'data'), { recursive: true });
    await writeFile(join(bin, 'data', 'pkgnames'), 'linux-image-6.1.0-40-amd64-dbg\n');
    await writeFile(
      join(bin, 'data', 'madison'),
      [
        'linux-image-6.1.0-40-amd64-unsigned',
        'linux-headers-6.1.0-40-amd64',
        'linux-image-6.1.0-40-amd64-dbg',
        'linux-source-6.1',
      ]
        .map((name) => ` ${name} | 6.1.150-1 | http://deb.debian.org/debian bookworm/main amd64 Packages`)
        .join('\n') + '\n',
    );
    await writeFile(
      join(bin, 'apt-cache'),
      `#!/bin/sh
data=${join(bin, 'data')}
while [ "$1" = -o ]; do shift 2; done
case "$1" in
  pkgnames) grep "^$2" "$data/pkgnames" || true ;;
  madison) shift; for p in "$@"; do grep "^ *$p |" "$data/madison" || true; done ;;
  *) echo "fake apt-cache: $*" >&2; exit 100 ;;
esac
`,
    );
    await writeFile(join(bin, 'apt-get'), '#!/bin/sh\nexit 0\n');
    await chmod(join(bin, 'apt-cache'), 0o755);
    await chmod(join(bin, 'apt-get'), 0o755);
    const releases = await run(['releases', '--json', '--distribution', 'debian-bookworm'], {
      PATH: `${bin}:${process.env['PATH'] ?? ''}`,
    });
    expect(releases.exitCode, releases.stderr).toBe(0);
    expectValid('releases', releases.documents[0]!, 0);
    const distributions = releases.documents[0]!['distributions'] as Array<{ releases: Json[] }>;
    expect(distributions[0]!.releases).toEqual([{ release: '6.1.0-40-amd64', version: '6.1.150-1' }]);
    add('releases', releases.documents[0]!);
  }, 60_000);

  it('package, publish, promote', async () => {
    const modules = join(tmp.path, 'modules');
    await mkdir(modules);
    const ko = await fakeLivepatchModule(modules, { name: 'livepatch-fix-1', release: '6.1.0-57-amd64' });
    const debs = join(tmp.path, 'debs');
    const packaged = await run([
      'package',
      ko,
      '--package-version',
      '1',
      '--name',
      'livepatch-fix',
      '--maintainer',
      'T <t@example.org>',
      '-o',
      debs,
      '--json',
    ]);
    expect(packaged.exitCode, packaged.stderr).toBe(0);
    expectValid('package', packaged.documents[0]!, 0);
    add('package', packaged.documents[0]!);
    const built = packaged.documents[0]!['package'] as { path: string };
    const tools = packaged.documents[0]!['tools'] as string;

    const repo = join(tmp.path, 'repo');
    const published = await run(['publish', built.path, tools, '--repo', repo, '--json']);
    expect(published.exitCode, published.stderr).toBe(0);
    expectValid('publish', published.documents[0]!, 0);
    add('publish', published.documents[0]!);

    const promoted = await run(['promote', 'livepatch-fix', '--repo', repo, '--json']);
    expect(promoted.exitCode, promoted.stderr).toBe(0);
    expectValid('promote', promoted.documents[0]!, 0);
    add('promote', promoted.documents[0]!);

    // A failure of theirs is the failure report too.
    const again = await run(['promote', 'other', '--repo', repo, '--json']);
    expect(again.exitCode).toBe(exitCodeOf('failed'));
    expectValid('failure', again.documents[0]!, again.exitCode);
  }, 180_000);
});

describe('each schema refuses a real output without one of its required fields', () => {
  const cases: Array<[kind: string, field: string, pick?: (documents: Json[]) => Json]> = [
    ['diff', 'changedFunctions'],
    ['diff', 'target.isModule'],
    ['failure', 'message'],
    ['build-releases', 'releases'],
    ['stream', 'stream.module'],
    ['stream', 'releases'],
    ['batch', 'module', (documents) => documents.find((d) => d['kind'] === 'patch')!],
    ['batch', 'counts', (documents) => documents.find((d) => d['kind'] === 'summary')!],
    ['cache', 'entries'],
    ['cache', 'totalBytes'],
    ['releases', 'distributions'],
    ['package', 'package.modules'],
    ['publish', 'sourcesLine'],
    ['promote', 'packages'],
  ];
  it.each(cases)('%s without %s', (kind, field, pick) => {
    const documents = outputs.get(kind);
    expect(documents, `no real output of ${kind} (its test above failed?)`).toBeDefined();
    expectInvalidWithout(kind, pick ? pick(documents!) : documents![0]!, field);
  });

  it.each(['schemaVersion', 'outcome', 'exitCode'])('every kind without the envelope field %s', (field) => {
    for (const [kind, documents] of outputs) expectInvalidWithout(kind, documents[0]!, field);
  });
});
