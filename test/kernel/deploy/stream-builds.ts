/**
 * Builds of patch streams for the deploy proofs, through the tool's own stream build
 * (src/pipeline/stream.ts): the patches copied into a directory with a quilt series file naming
 * them in order, every patch of it in one module per release.
 */
import { copyFile, mkdir, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import type { StreamIdentity } from '../../../src/kernel/stream-facts.js';
import { buildStream } from '../../../src/pipeline/stream.js';
import { hostRunner } from '../../../src/toolchain/runner.js';

/**
 * Version STREAM.version of STREAM made of PATCHES (in order), built for RELEASES under WORK:
 * the module of each release. Fails with the reasons of a release that was not built.
 */
export async function streamBuild(
  work: string,
  stream: StreamIdentity,
  patches: readonly string[],
  releases: readonly string[],
  options: { replace?: boolean } = {},
): Promise<Record<string, string>> {
  const dir = join(work, 'streams', `${stream.name}-${stream.version}`);
  await mkdir(dir, { recursive: true });
  for (const patch of patches) await copyFile(patch, join(dir, basename(patch)));
  // As quilt writes it: a comment, and the strip level of a patch.
  const lines = patches.map((patch, i) => `${basename(patch)}${i === 0 ? ' -p1' : ''}`);
  await writeFile(join(dir, 'series'), `# ${stream.name}, version ${stream.version}\n${lines.join('\n')}\n`);
  const built = await buildStream({
    series: join(dir, 'series'),
    stream,
    releases,
    outputDir: join(dir, 'out'),
    runner: hostRunner,
    replace: options.replace ?? false,
    keepTmp: false,
    log: (line) => process.stderr.write(`  [${stream.name}-${stream.version}] ${line}\n`),
  });
  const modules: Record<string, string> = {};
  for (const release of built.releases) {
    if (release.outcome !== 'built' || !release.output)
      throw new Error(`${stream.name} ${stream.version} for ${release.release}: ${release.outcome}: ${release.reason}`);
    modules[release.release] = release.output;
  }
  return modules;
}
