import { readFile } from 'node:fs/promises';
import { basename } from 'node:path';
import { livepatchFunctionsInFile, type PatchedObject } from '../kernel/livepatch-functions.js';
import { plainModulePath } from '../kernel/module-file.js';
import { moduleNameInFile, moduleNameOf } from '../kernel/module-name.js';
import { UserError } from '../util/errors.js';
import { countStartCommand, countStopCommand } from './call-counts.js';

export interface DefaultScriptOptions {
  /** The names the kernel knows the modules by (their .modinfo's: a file may have been renamed); default: the files'. */
  moduleNames?: readonly string[] | undefined;
  /**
   * The patched functions of each module (in the order of the modules) that is a livepatch,
   * undefined for one that is not; not given at all: every module is asked in the guest (a
   * livepatch's functions then come from its sysfs).
   */
  livepatches?: ReadonlyArray<readonly PatchedObject[] | undefined> | undefined;
  /** Shell commands run while the livepatches are applied (--workload); its exit status counts. */
  workload?: string | undefined;
}

/**
 * The script `vm-test` runs when the user gives none: load the modules in order, wait for every
 * livepatch transition, count the calls of each livepatch's functions (call-counts.ts) while it
 * shows the livepatch state and runs the workload, then disable the livepatches and unload
 * everything in reverse order, by the names the kernel knows them by. Fails on the first step
 * that fails, or at the end when the workload failed.
 */
export function defaultScript(modules: readonly string[], options: DefaultScriptOptions = {}): string {
  // The names the modules have in the guest's /modules (initramfs.ts): a .ko.xz is there as .ko.
  const names = modules.map((m) => basename(plainModulePath(m)));
  const kernelNames = options.moduleNames ?? names.map(moduleNameOf);
  const counted = kernelNames
    .map((name, i) => ({ name, objects: options.livepatches ? options.livepatches[i] : [] }))
    .filter((m): m is { name: string; objects: readonly PatchedObject[] } => m.objects !== undefined);
  const lines = ['set -e', 'echo "kernel: $(uname -r)"'];
  for (const name of names) {
    lines.push(`echo "+ insmod ${name}"`, `insmod ./${name}`);
  }
  lines.push('for p in /sys/kernel/livepatch/*; do [ -d "$p" ] || continue; klp_wait "$(basename $p)"; done');
  for (const { name, objects } of counted)
    lines.push(`if [ -d /sys/kernel/livepatch/${name} ]; then ${countStartCommand(name, objects)}; fi`);
  lines.push(
    'echo "+ livepatch state"',
    'for p in /sys/kernel/livepatch/*; do [ -d "$p" ] && echo "$(basename $p): enabled=$(cat $p/enabled) transition=$(cat $p/transition)"; done; true',
    'lsmod',
  );
  if (options.workload !== undefined) {
    // In a subshell, as `sh -c` would run it: its own failures do not stop it, its status is kept.
    lines.push('echo "+ workload"', 'set +e', '(', 'set +e', options.workload, ')', 'tsbp_workload=$?', 'set -e');
    lines.push('echo "+ workload exit $tsbp_workload"');
  }
  if (counted.length > 0) lines.push('echo "+ calls while patched"');
  for (const { name } of counted) lines.push(countStopCommand(name));
  for (const mod of [...kernelNames].reverse()) {
    lines.push(
      `if [ -d /sys/kernel/livepatch/${mod} ]; then echo "+ disable ${mod}"; klp_disable ${mod}; klp_wait_gone ${mod}; fi`,
      `echo "+ rmmod ${mod}"`,
      `rmmod ${mod}`,
    );
  }
  if (options.workload !== undefined)
    lines.push('[ "$tsbp_workload" = 0 ] || { echo "the workload failed (exit $tsbp_workload)"; exit 1; }');
  lines.push('echo "all steps passed"');
  return lines.join('\n') + '\n';
}

/**
 * The guest script of a VM run: a script file, inline commands, or else the default script (with
 * WORKLOAD, which has no place in the other two).
 */
export async function guestScript(choice: {
  file?: string | undefined;
  exec?: string | undefined;
  workload?: string | undefined;
  modules: readonly string[];
}): Promise<string> {
  if (choice.workload !== undefined && (choice.file || choice.exec))
    throw new UserError('a workload runs in the default script: give it without a script of your own', {
      hint: 'your script can count calls itself with klp_count_start PATCH / klp_count_stop PATCH',
    });
  if (choice.file) {
    return readFile(choice.file, 'utf8').catch((error: Error) => {
      throw new UserError(`cannot read script ${choice.file}: ${error.message}`);
    });
  }
  if (choice.exec) return `${choice.exec}\n`;
  return defaultScript(choice.modules, {
    moduleNames: await Promise.all(choice.modules.map(moduleNameInFile)),
    livepatches: await Promise.all(choice.modules.map(livepatchFunctionsInFile)),
    workload: choice.workload,
  });
}
