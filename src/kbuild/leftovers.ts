import { readdir, readFile } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { OWNER_LABEL, removeContainer } from '../toolchain/container/container-runner.js';
import { DOCKER, engineCall, PODMAN } from '../toolchain/container/engine.js';
import type { Logger } from '../util/log.js';

/**
 * What a run killed outright (SIGKILL, a crash) may have left working on its tree: build
 * containers labelled with its pid, and make process groups of the host runner (they have a
 * group of their own and outlive the tool). All are stopped, and waited for, before the tree is
 * repaired, so nothing writes into it afterwards.
 */
export async function stopLeftovers(deadPid: number, treeDir: string, log: Logger): Promise<void> {
  await Promise.all([stopContainers(deadPid, log), stopHostBuilds(treeDir, log)]);
}

async function stopContainers(deadPid: number, log: Logger): Promise<void> {
  for (const engine of [PODMAN, DOCKER]) {
    const listed = await engineCall(engine, ['ps', '-a', '-q', '--filter', `label=${OWNER_LABEL}=${deadPid}`], {
      timeout: 30_000,
    }).catch(() => undefined);
    if (!listed || listed.failed) continue; // engine absent or not running
    const ids = String(listed.stdout ?? '')
      .split('\n')
      .map((l) => l.trim())
      .filter(Boolean);
    for (const id of ids) {
      log(`stopping ${engine.kind} container ${id} of the dead run ${deadPid}`);
      await removeContainer(engine, id);
    }
  }
}

/** Process groups of `make -C TREEDIR` processes (the host runner's builds of this tree). */
async function buildGroups(treeDir: string): Promise<Set<number>> {
  const groups = new Set<number>();
  for (const entry of await readdir('/proc').catch(() => [] as string[])) {
    if (!/^\d+$/.test(entry)) continue;
    const args = (await readFile(`/proc/${entry}/cmdline`, 'latin1').catch(() => '')).split('\0');
    const at = args.indexOf('-C');
    if (!args[0]?.endsWith('make') || at < 0 || args[at + 1] !== treeDir) continue;
    const stat = await readFile(`/proc/${entry}/stat`, 'latin1').catch(() => '');
    // pid (comm) state ppid pgrp ...: fields after the last ')'.
    const pgrp = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[2]);
    if (Number.isInteger(pgrp) && pgrp > 1 && pgrp !== process.pid) groups.add(pgrp);
  }
  return groups;
}

async function stopHostBuilds(treeDir: string, log: Logger): Promise<void> {
  const groups = await buildGroups(treeDir);
  if (groups.size === 0) return;
  log(`stopping ${groups.size} build(s) of ${treeDir} left by a dead run`);
  for (const group of groups) {
    try {
      process.kill(-group, 'SIGKILL');
    } catch {
      // gone meanwhile
    }
  }
  for (let i = 0; i < 50 && (await buildGroups(treeDir)).size > 0; i++) await sleep(100);
}
