import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { plainModulePath } from '../kernel/module-file.js';
import { moduleNameInFile, moduleNameOf } from '../kernel/module-name.js';
import { UserError } from '../util/errors.js';

/**
 * The script `vm-test` runs when the user gives none: load the modules in order, wait for every
 * livepatch transition, show the livepatch state, then disable the livepatches and unload
 * everything in reverse order, by the names the kernel knows them by (MODULENAMES, else the
 * files'). Fails on the first step that fails.
 */
export function defaultScript(modules: readonly string[], moduleNames?: readonly string[]): string {
  // The names the modules have in the guest's /modules (initramfs.ts): a .ko.xz is there as .ko.
  const names = modules.map((m) => basename(plainModulePath(m)));
  const lines = ['set -e', 'echo "kernel: $(uname -r)"'];
  for (const name of names) {
    lines.push(`echo "+ insmod ${name}"`, `insmod ./${name}`);
  }
  lines.push(
    'for p in /sys/kernel/livepatch/*; do [ -d "$p" ] || continue; klp_wait "$(basename $p)"; done',
    'echo "+ livepatch state"',
    'for p in /sys/kernel/livepatch/*; do [ -d "$p" ] && echo "$(basename $p): enabled=$(cat $p/enabled) transition=$(cat $p/transition)"; done; true',
    'lsmod',
  );
  // The kernel's names of the modules (their .modinfo's: a file may have been renamed).
  const kernelNames = moduleNames ?? names.map(moduleNameOf);
  for (const mod of [...kernelNames].reverse()) {
    lines.push(
      `if [ -d /sys/kernel/livepatch/${mod} ]; then echo "+ disable ${mod}"; klp_disable ${mod}; klp_wait_gone ${mod}; fi`,
      `echo "+ rmmod ${mod}"`,
      `rmmod ${mod}`,
    );
  }
  lines.push('echo "all steps passed"');
  return lines.join('\n') + '\n';
}

/** The guest script of a VM run: a script file, inline commands, or else the default script. */
export async function guestScript(choice: {
  file?: string | undefined;
  exec?: string | undefined;
  modules: readonly string[];
}): Promise<string> {
  if (choice.file) {
    return readFile(choice.file, 'utf8').catch((error: Error) => {
      throw new UserError(`cannot read script ${choice.file}: ${error.message}`);
    });
  }
  if (choice.exec) return `${choice.exec}\n`;
  return defaultScript(choice.modules, await Promise.all(choice.modules.map(moduleNameInFile)));
}
