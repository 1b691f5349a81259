import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { parse } from 'yaml';
import { CI_TEMPLATES } from '../../support/ci-pipeline.js';

/**
 * ci-templates/github/livepatch.yml cannot run here (GitHub Actions): its structure is checked
 * instead, and that it does what the GitLab pipeline does (which gitlab-pipeline.test.ts and the
 * kernel test run) through the same steps of livepatch.sh, with every setting of the script
 * reachable.
 */
interface Step {
  id?: string;
  uses?: string;
  run?: string;
  with?: Record<string, unknown>;
  env?: Record<string, string>;
}
interface Job {
  needs?: string;
  'runs-on': string;
  outputs?: Record<string, string>;
  strategy?: { matrix: Record<string, unknown> };
  environment?: string;
  concurrency?: string;
  steps: Step[];
}
interface Workflow {
  on: Record<string, unknown>;
  env: Record<string, string>;
  jobs: Record<string, Job>;
}

let workflow: Workflow;
let script: string;
let selector: string;
let gitlab: string;
beforeAll(async () => {
  workflow = parse(await readFile(join(CI_TEMPLATES, 'github/livepatch.yml'), 'utf8')) as Workflow;
  script = await readFile(join(CI_TEMPLATES, 'livepatch.sh'), 'utf8');
  selector = await readFile(join(CI_TEMPLATES, 'select-releases.mjs'), 'utf8');
  // The GitLab jobs' scripts (the child template parses as it is: its placeholder is a list).
  const scripts: string[] = [];
  for (const file of ['gitlab/livepatch.gitlab-ci.yml', 'gitlab/livepatch-child.gitlab-ci.yml']) {
    const pipeline = parse(await readFile(join(CI_TEMPLATES, file), 'utf8')) as Record<string, { script?: string[] }>;
    for (const job of Object.values(pipeline)) scripts.push(...(job.script ?? []));
  }
  gitlab = scripts.join('\n');
});

/** The livepatch.sh steps TEXT runs (`livepatch.sh" STEP`). */
const stepsRun = (text: string) => [...text.matchAll(/livepatch\.sh"? ([a-z-]+)/g)].map((m) => m[1]!);
const runs = (job: Job) => job.steps.map((s) => s.run ?? '').join('\n');
const uses = (job: Job, action: string) => job.steps.find((s) => s.uses?.startsWith(`${action}@`));

describe('the GitHub Actions workflow', () => {
  it('lists the releases as a JSON output, the matrix of the build jobs', () => {
    const { releases, build } = workflow.jobs;
    expect(releases!.outputs).toEqual({ releases: '${{ steps.list.outputs.releases }}' });
    const list = releases!.steps.find((s) => s.id === 'list')!;
    expect(list.run).toBe(
      'releases=$(bash "$LIVEPATCH_CI_DIR/livepatch.sh" releases)\necho "releases=$releases" >> "$GITHUB_OUTPUT"\n',
    );
    expect(build!.needs).toBe('releases');
    expect(build!.strategy!.matrix).toEqual({ release: '${{ fromJSON(needs.releases.outputs.releases) }}' });
    expect(runs(build!)).toContain('livepatch.sh" build "${{ matrix.release }}"');
  });

  it("keeps the tool's cache per release, and each release's module as an artifact", () => {
    const build = workflow.jobs['build']!;
    const cache = uses(build, 'actions/cache')!;
    expect(cache.with!['path']).toBe('~/.cache/tsbuild-patch');
    expect(cache.with!['key']).toMatch(/^tsbuild-patch-\$\{\{ matrix\.release \}\}-/);
    expect(cache.with!['restore-keys']).toBe('tsbuild-patch-${{ matrix.release }}-');
    expect(uses(build, 'actions/upload-artifact')!.with).toMatchObject({
      name: 'module-${{ matrix.release }}',
      path: 'out/',
    });
  });

  it('fans in: publish after every build, from all their artifacts; promote after it, behind an environment', () => {
    const { publish, promote } = workflow.jobs;
    expect(publish!.needs).toBe('build');
    expect(uses(publish!, 'actions/download-artifact')!.with).toEqual({
      pattern: 'module-*',
      path: 'out/',
      'merge-multiple': true,
    });
    expect(promote!.needs).toBe('publish');
    expect(promote!.environment).toBe('livepatch-stable');
    expect(publish!.concurrency).toBe(promote!.concurrency);
  });

  it('runs the steps of livepatch.sh that the GitLab pipeline runs, each in the job that does the same', () => {
    const steps = Object.fromEntries(Object.entries(workflow.jobs).map(([name, job]) => [name, stepsRun(runs(job))]));
    expect(steps).toEqual({ releases: ['releases'], build: ['build'], publish: ['publish'], promote: ['promote'] });
    expect(stepsRun(gitlab).sort()).toEqual(['build', 'gitlab-child', 'promote', 'publish', 'releases']);
    const handled = [...script.matchAll(/^ {2}([a-z-]+)\) step_/gm)].map((m) => m[1]!);
    expect(handled.sort()).toEqual(['build', 'gitlab-child', 'promote', 'publish', 'releases']);
  });

  it("passes every setting livepatch.sh reads: from the repository's variables, or its secrets as files", () => {
    const read = new Set([
      ...[...script.matchAll(/\$\{?((?:LIVEPATCH|TSBUILD_PATCH)_[A-Z_]+)/g)].map((m) => m[1]!),
      ...[...selector.matchAll(/process\.env\.(LIVEPATCH_[A-Z_]+)/g)].map((m) => m[1]!),
    ]);
    expect(read).toContain('LIVEPATCH_NEWEST');
    const given = new Set(Object.keys(workflow.env));
    for (const job of Object.values(workflow.jobs))
      for (const step of job.steps)
        for (const m of (step.run ?? '').matchAll(/echo "([A-Z_]+)=.*>> "\$GITHUB_ENV"/g)) given.add(m[1]!);
    // The cache stays at its default (~/.cache/tsbuild-patch), the path actions/cache keeps.
    const missing = [...read].filter((name) => !given.has(name) && name !== 'TSBUILD_PATCH_CACHE');
    expect(missing).toEqual([]);
    for (const [name, value] of Object.entries(workflow.env))
      if (name !== 'LIVEPATCH_CI_DIR') expect(value, name).toMatch(new RegExp(`vars\\.${name}\\b|inputs\\.`));
  });
});
