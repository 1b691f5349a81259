/**
 * apt on this machine pointed at one suite of a repository the tool published, and at nothing
 * else: its own sources list, lists and cache under STATE, the repository's key as its signer.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';

/** The apt-get / apt-cache options that read SUITE of the repository served from PUBLICDIR only. */
export async function aptOptionsFor(publicDir: string, suite: string, state: string): Promise<string[]> {
  await mkdir(join(state, 'lists/partial'), { recursive: true });
  await mkdir(join(state, 'cache/archives/partial'), { recursive: true });
  const list = join(state, 'sources.list');
  await writeFile(
    list,
    `deb [signed-by=${join(publicDir, 'tsbuild-patch-archive-keyring.gpg')}] file:${publicDir} ${suite} main\n`,
  );
  return [
    '-o',
    `Dir::Etc::SourceList=${list}`,
    '-o',
    'Dir::Etc::SourceParts=/dev/null',
    '-o',
    `Dir::State::Lists=${join(state, 'lists')}`,
    '-o',
    `Dir::Cache=${join(state, 'cache')}`,
    '-o',
    'APT::Sandbox::User=root',
  ];
}
