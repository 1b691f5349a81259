// Several built livepatches proven in one boot of Debian's kernel: for each, its target module
// (and dependencies) first, insmod, transition complete, enabled, the patched functions listed
// in /sys/kernel/livepatch/<mod>/<obj>/<func,sympos>, the calls of each counted while a workload
// of the patched file's subsystem runs (workloads.ts; none where none is cheap), disable, rmmod,
// and no oops, warning or BUG in the kernel log from its insmod to its end marker (a warning
// while the image's own modules load is recorded apart).
import { basename } from 'node:path';
import { KernelModules } from '../../src/kernel/kernel-modules.js';
import { livepatchFunctionsInFile } from '../../src/kernel/livepatch-functions.js';
import { plainModulePath } from '../../src/kernel/module-file.js';
import { moduleNameOf } from '../../src/kernel/module-name.js';
import type { ModuleExercise } from '../../src/report/exercise.js';
import { bootTarget, guestModules, type BootTarget } from '../../src/vm/boot-target.js';
import { countStartCommand, countStopCommand } from '../../src/vm/call-counts.js';
import { runInVm } from '../../src/vm/run-in-vm.js';
import { stderrLogger } from '../../src/util/log.js';
import { RELEASE } from './paths.js';
import { workloadFor, type Workload } from './workloads.js';

export interface VmCandidate {
  id: string;
  /** The patched file (its subsystem chooses the workload). */
  file: string;
  /** Kernel name of the livepatch (underscores). */
  module: string;
  ko: string;
  /** Patched functions per target object, from the build report. */
  functions: Record<string, string[]>;
}

export interface VmVerdict {
  id: string;
  loaded: boolean;
  problems: string[];
  /** sysfs entries seen: obj/func,sympos */
  sysfs: string[];
  targetsLoaded: Record<string, boolean>;
  /** The workload run while the livepatch was applied ("none": no cheap one for its subsystem). */
  workload: string;
  /** The calls of its functions counted meanwhile (absent: it did not get that far). */
  exercise?: ModuleExercise;
  /**
   * Warnings the kernel printed while the image's own modules loaded, before the livepatch
   * (a crypto self-test that fails under TCG, ...): told, not counted against the livepatch.
   */
  environment?: string[];
  log: string;
}

const BAD_LOG =
  /(^|\s)(WARNING:|BUG:|Oops|general protection fault|Call Trace:|kernel BUG|UBSAN:|KASAN:|list_(add|del) corruption)/;

/** The booted kernel per release, resolved once. */
const boots = new Map<string, BootTarget>();

/** One candidate's guest lines: TARGETKOS first, then the livepatch, counted under WORKLOAD. */
function scriptFor(c: VmCandidate, targetKos: string[], counting: string, workload: Workload | undefined): string {
  const m = c.module;
  const lines = [
    `echo "corpus-begin ${m}" > /dev/kmsg`,
    // The guest has each module as .ko (a .ko.xz decompressed: src/vm/initramfs.ts).
    ...targetKos.map((ko) => `insmod ./${basename(plainModulePath(ko))} 2>/dev/null; true`),
    ...Object.keys(c.functions)
      .filter((t) => t !== 'vmlinux')
      .map((t) => `report ${m}.target.${t} $([ -d /sys/module/${t} ] && echo 1 || echo 0)`),
    `echo "corpus-livepatch ${m}" > /dev/kmsg`,
    `if insmod ./${basename(c.ko)}; then`,
    `  report ${m}.insmod ok`,
    `  klp_wait ${m} && report ${m}.transition done || report ${m}.transition stuck`,
    `  report ${m}.enabled "$(cat /sys/kernel/livepatch/${m}/enabled 2>/dev/null)"`,
    `  report ${m}.sysfs "$(cd /sys/kernel/livepatch/${m} 2>/dev/null && for d in */*/; do echo -n "\${d%/} "; done)"`,
    `  ${counting}`,
    // In a subshell, its output dropped: its failures are the workload's, not the livepatch's.
    ...(workload ? ['  (', workload.script, `) >/dev/null 2>&1 </dev/null`] : []),
    `  ${countStopCommand(m)}`,
    `  klp_disable ${m} && klp_wait_gone ${m} && report ${m}.disable ok || report ${m}.disable fail`,
    `  rmmod ${m} && report ${m}.rmmod ok || report ${m}.rmmod fail`,
    `else report ${m}.insmod fail; fi`,
    `echo "corpus-end ${m}" > /dev/kmsg`,
  ];
  return lines.join('\n');
}

function judge(
  c: VmCandidate,
  values: Record<string, string>,
  kernelLog: string,
  workload: Workload | undefined,
  exercise: readonly ModuleExercise[],
): VmVerdict {
  const m = c.module;
  const problems: string[] = [];
  const v = (k: string) => values[`${m}.${k}`];
  if (v('insmod') !== 'ok') problems.push('insmod failed');
  else {
    if (v('transition') !== 'done') problems.push('transition did not complete');
    if (v('enabled') !== '1') problems.push(`enabled=${v('enabled') ?? '?'}`);
    if (v('disable') !== 'ok') problems.push('disable failed');
    if (v('rmmod') !== 'ok') problems.push('rmmod failed');
  }
  const sysfs = (v('sysfs') ?? '').split(' ').filter((s) => s && !s.includes('*'));
  for (const [target, fns] of Object.entries(c.functions)) {
    for (const fn of fns)
      if (!sysfs.some((s) => s.startsWith(`${target}/${fn},`))) problems.push(`sysfs lacks ${target}/${fn}`);
  }
  const begin = kernelLog.indexOf(`corpus-begin ${m}`);
  const livepatch = kernelLog.indexOf(`corpus-livepatch ${m}`);
  const end = kernelLog.indexOf(`corpus-end ${m}`);
  const log = begin >= 0 ? kernelLog.slice(begin, end >= 0 ? end : undefined) : '';
  if (begin < 0 || livepatch < 0) problems.push('no kernel log markers (the guest did not reach this module)');
  // From the livepatch's insmod on, any warning counts against it; before, the image's modules loaded.
  const split = livepatch >= 0 ? livepatch - Math.max(begin, 0) : 0;
  const bad = log
    .slice(split)
    .split('\n')
    .filter((l) => BAD_LOG.test(l));
  if (bad.length > 0) problems.push(`kernel log: ${bad.slice(0, 3).join(' | ')}`);
  const environment = log
    .slice(0, split)
    .split('\n')
    .filter((l) => BAD_LOG.test(l) || /alg: .*failed/.test(l))
    .slice(0, 3);
  const targetsLoaded: Record<string, boolean> = {};
  for (const t of Object.keys(c.functions)) if (t !== 'vmlinux') targetsLoaded[t] = v(`target.${t}`) === '1';
  const counted = exercise.find((e) => e.module === m);
  return {
    id: c.id,
    loaded: problems.length === 0,
    problems,
    sysfs,
    targetsLoaded,
    workload: workload?.name ?? 'none',
    ...(counted ? { exercise: counted } : {}),
    ...(environment.length > 0 ? { environment } : {}),
    log: log.slice(0, 6000),
  };
}

/**
 * Prove CANDIDATES in one boot of RELEASE (the corpus's by default); on a crash, the module being
 * tested is blamed and the rest rerun.
 */
export async function proveInVm(candidates: readonly VmCandidate[], release = RELEASE): Promise<VmVerdict[]> {
  let boot = boots.get(release);
  if (!boot) {
    boot = await bootTarget(release, stderrLogger);
    boots.set(release, boot);
  }
  const kernelModules = boot.modulesDir ? await KernelModules.read(boot.modulesDir) : undefined;
  const verdicts: VmVerdict[] = [];
  let rest = [...candidates];
  while (rest.length > 0) {
    const modules = new Set<string>();
    const workloads = new Map<string, Workload | undefined>();
    const parts: string[] = ['echo "kernel: $(uname -r)"'];
    for (const c of rest) {
      // The image's modules it needs first (its targets, the modules whose exports it uses, their
      // dependencies and soft dependencies), in load order; the livepatch itself comes last.
      const kos = (await guestModules([c.ko], boot.modulesDir)).slice(0, -1);
      const guestFiles = Object.fromEntries(kos.map((ko) => [moduleNameOf(ko), basename(plainModulePath(ko))]));
      const workload = workloadFor(c.file, Object.keys(c.functions), guestFiles);
      workloads.set(c.id, workload);
      // What the workload needs that the kernel has as modules (it loads them with modprobe).
      const wanted = (workload?.modules ?? []).filter((name) => kernelModules?.has(name));
      for (const ko of [...kos, ...(kernelModules ? await kernelModules.withDependencies(wanted) : [])])
        modules.add(ko);
      modules.add(c.ko);
      const counting = countStartCommand(c.module, (await livepatchFunctionsInFile(c.ko)) ?? []);
      parts.push(scriptFor(c, kos, counting, workload));
    }
    parts.push('echo corpus-done');
    const result = await runInVm({
      bzImage: boot.image,
      memoryMiB: boot.memoryMiB,
      script: parts.join('\n') + '\n',
      modules: [...modules],
      kernelModulesDir: boot.modulesDir,
      timeoutMs: 120_000 + 60_000 * rest.length,
    });
    const kernelLog = result.status === 'ok' ? result.kernelLog : result.console;
    const done: VmVerdict[] = [];
    for (const c of rest) {
      if (!kernelLog.includes(`corpus-begin ${c.module}`) && result.status !== 'ok') break;
      done.push(judge(c, result.values, kernelLog, workloads.get(c.id), result.exercise));
    }
    if (result.status !== 'ok') {
      const blamed =
        done.pop() ?? judge(rest[0]!, result.values, kernelLog, workloads.get(rest[0]!.id), result.exercise);
      blamed.loaded = false;
      blamed.problems.push(
        `vm ${result.status}: ${kernelLog
          .split('\n')
          .filter((l) => BAD_LOG.test(l) || /panic/i.test(l))
          .slice(0, 5)
          .join(' | ')}`,
      );
      blamed.log = kernelLog.slice(-8000);
      done.push(blamed);
    }
    verdicts.push(...done);
    rest = rest.slice(done.length);
  }
  return verdicts;
}
