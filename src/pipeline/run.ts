import { mkdir, readFile } from 'node:fs/promises';
import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import { buildPatched } from '../kbuild/patched-build.js';
import { readPatch } from '../patches/patch-file.js';
import { checkPatchPaths } from '../patches/patch-policy.js';
import type { Runner } from '../kbuild/runner.js';
import { resolveTarget, type TargetKernel, type TargetOptions } from '../kernels/target-kernel.js';
import { checkKernelConfig } from '../kernels/config-policy.js';
import { treeForTarget } from '../kbuild/tree-for-target.js';
import { treeLock } from '../kbuild/tree-slots.js';
import type { WorkTree } from '../kbuild/work-tree.js';
import { withDirLock } from '../util/lock.js';
import { KernelModules } from '../kernels/kernel-modules.js';
import { compilerIdentity } from '../kbuild/compiler.js';
import { entrySizesFromFacts } from '../diff/entry-sizes.js';
import { entrySizesFromKernel } from '../kernel-facts/entry-sizes.js';
import { readSymvers } from '../klp/symvers.js';
import { TargetSymbols } from '../klp/target-symbols.js';
import type { PatchModuleSpec } from '../kmod/spec.js';
import type { ObjectReport, RunReport } from '../report/run-report.js';
import { RefusedError, UserError } from '../util/errors.js';
import { exitCodeOf } from '../util/outcomes.js';
import type { Logger } from '../util/log.js';
import { cacheRoot } from '../util/cache.js';
import { toolVersion } from '../util/tool-version.js';
import type { StageHooks } from '../util/progress.js';
import type { BuildProgress } from '../util/run-context.js';
import { startRunSession, type RunSession } from '../util/run-session.js';
import { diffAll, type ObjectDiff } from './diff-stage.js';
import { checkModuleName, defaultModuleName } from './module-name.js';
import { buildLivepatchModule } from './module-stage.js';
import { klpObjects, writePatchObjects } from './patch-objects.js';
import { StageRunner } from './stages.js';

export interface PipelineOptions {
  patches: string[];
  target: TargetOptions;
  runner: Runner;
  name?: string;
  output?: string;
  replace: boolean;
  jobs?: number;
  keepTmp: boolean;
  signing?: { key: string; cert: string } | undefined;
  log: Logger;
  /** Build even when the compiler or linker is not the running kernel's (a warning in the report). */
  skipCompilerCheck?: boolean;
  /** Show the commands run and the environment that matters (they always go to the run's log). */
  debug?: boolean;
  /** Progress display: told of stages and of kbuild's compiles. */
  progress?: (StageHooks & BuildProgress) | undefined;
  /**
   * One patch of a batch (src/pipeline/batch.ts): the target kernel and its tree are resolved
   * once for all the batch's patches, and this one builds in copy SLOT of the tree.
   */
  batch?: { shared: BatchShared; slot: number };
}

/** What the patches of a batch share, each made by the first patch that needs it. */
export interface BatchShared {
  target?: Promise<TargetKernel>;
  tree?: Promise<WorkTree>;
}

function objectReport(diff: ObjectDiff, klpSymbols: string[]): ObjectReport {
  const r = diff.result;
  return {
    object: diff.pair.object.path, target: diff.pair.object.target, outcome: r.outcome,
    changedFunctions: r.changedFunctions, newFunctions: r.newFunctions, callbacks: r.callbacks.map((c) => ({ ...c })),
    reasons: r.refusals.map((x) => x.reason), categories: r.refusals.map((x) => x.category), notes: r.notes, klpSymbols,
  };
}

/**
 * The whole job: patches in, a signed livepatch module out. Every run keeps its logs (its
 * messages in run.log, each stage's build output in <stage>.log) in a directory of its own under
 * the cache, named in the report and in the messages of a failure.
 */
export async function runPipeline(options: PipelineOptions): Promise<RunReport> {
  const session = await startRunSession({ log: options.log, debug: options.debug, progress: options.progress });
  session.debug(`tsbuild-patch ${toolVersion()}, node ${process.version}, pid ${process.pid}; cache ${cacheRoot()}; logs of this run: ${session.runDir}`);
  session.debug(`patches: ${options.patches.join(' ')}; runner: ${options.runner.description}`);
  return session.run(() => runStages(options, session));
}

async function runStages(options: PipelineOptions, session: RunSession): Promise<RunReport> {
  const { log, debug } = session;
  const stages = new StageRunner(log, session.stages);
  const jobs = options.jobs ?? availableParallelism();
  const warnings: string[] = [];

  const patches = await stages.run('validate', async () => {
    const parsed = await Promise.all(options.patches.map((p) => readPatch(p)));
    checkPatchPaths(parsed);
    return parsed;
  });
  const name = checkModuleName(options.name ?? defaultModuleName(options.patches[0]!));
  const resolveChecked = async () => {
    const resolved = await resolveTarget(options.target, log);
    checkKernelConfig(await readFile(resolved.config, 'utf8'), 'running kernel');
    debug(`target kernel ${resolved.release}: config ${resolved.config}, vmlinux ${resolved.vmlinux}, symvers ${resolved.symvers}, ` +
      `modules ${resolved.modulesDir || '-'}, source ${resolved.source.kind === 'tarball' ? resolved.source.tarball : resolved.source.dir}, ` +
      `build ${resolved.build.kind === 'prepared' ? `prepared (CC=${resolved.build.cc} KERNELRELEASE=${resolved.build.kernelRelease})` : 'full'}`);
    return resolved;
  };
  const shared = options.batch?.shared;
  const target = await stages.run('target-kernel', () => (shared ? (shared.target ??= resolveChecked()) : resolveChecked()));
  // The running kernel's special-section entry sizes (pahole over its DWARF, cached by build-id)
  // are measured while the tree is prepared and the objects are built.
  const kernelFacts = entrySizesFromKernel(target.vmlinux, log);
  kernelFacts.catch(() => undefined); // awaited (and reported) by the diff stage
  const tree = await stages.run('original-build', async () => {
    const prepare = () => treeForTarget({ target, runner: options.runner, log, jobs: options.batch ? availableParallelism() : jobs, skipCompilerCheck: options.skipCompilerCheck ?? false });
    const base = await (shared ? (shared.tree ??= prepare()) : prepare());
    // A tree that cannot be copied is shared: its lock lets one patch at a time build in it.
    return options.batch && base.copy ? base.copy(options.batch.slot, log) : base;
  });
  warnings.push(...(tree.warnings ?? []));
  const cc = tree.vars['CC'] ?? 'gcc';
  debug(`tree ${tree.dir} (cache entry ${tree.entry}); runner ${tree.runner.description}; jobs ${jobs}; ` +
    `make variables: ${Object.entries(tree.vars).map(([k, v]) => `${k}=${v}`).join(' ') || '(none)'}; ` +
    `compiler ${cc}${tree.vars['CC'] ? '' : ' (make\'s default)'}${options.debug ? `: ${await compilerIdentity(cc).catch((e: Error) => e.message)}` : ''}`);

  const scratch = await tmpDir({ unsafeCleanup: true, prefix: 'tsbp-run-' });
  const tmp = scratch.path;
  if (options.keepTmp) log(`keeping temporary files in ${tmp}`);
  let failed = true;
  try {
    const built = await stages.run('patched-build', () => buildPatched({ tree, patches, outputDir: tmp, log, jobs }));
    warnings.push(...built.warnings);

    const diffs = await stages.run('diff', async () => {
      const entrySizes = entrySizesFromFacts(await kernelFacts);
      const parents = new Map<string, Promise<string>>();
      let modules: Promise<KernelModules> | undefined;
      const parentOf = (pair: { object: { target: string } }) => {
        const t = pair.object.target;
        if (t === 'vmlinux') return Promise.resolve(target.vmlinux);
        if (!target.modulesDir) {
          return Promise.reject(new UserError(`the patch changes module ${t}, and no modules directory says where its .ko is`, { hint: 'give the running kernel\'s modules with --modules-dir' }));
        }
        modules ??= KernelModules.read(target.modulesDir);
        if (!parents.has(t)) parents.set(t, modules.then((m) => m.path(t)));
        return parents.get(t)!;
      };
      return diffAll({ pairs: built.pairs, parentOf, entrySizes, concurrency: jobs });
    });
    const report: RunReport = {
      module: name, signed: false, kernelRelease: target.release,
      ...(target.vmlinuz ? { kernelImage: target.vmlinuz } : {}), ...(target.modulesDir ? { modulesDir: target.modulesDir } : {}),
      runner: options.runner.description,
      stages: stages.stages, objects: diffs.map((d) => objectReport(d, [])), warnings, logDir: session.runDir, tree: tree.dir,
    };
    const refused = diffs.filter((d) => d.result.outcome === 'refused');
    if (refused.length > 0) {
      const reasons = refused.flatMap((d) => d.result.refusals.map((r) => ({ object: d.pair.object.path, ...r })));
      throw new RefusedError(`the patch cannot be live-patched safely:\n  ${reasons.map((r) => `${r.object}: ${r.reason}`).join('\n  ')}`, reasons);
    }
    if (diffs.every((d) => d.result.outcome === 'no-change')) {
      // What changed besides code, if anything (a new export, which a livepatch cannot add).
      const notes = diffs.flatMap((d) => d.result.notes.map((note) => `\n  ${d.pair.object.path}: ${note}`)).join('');
      throw new UserError(`no functional change in ${diffs.map((d) => d.pair.object.path).join(', ')} (only moved lines, comments or line numbers?)${notes}`, { exitCode: exitCodeOf('no-change') });
    }

    const moduleDir = join(tmp, 'module');
    const objectsDir = join(tmp, 'patch-objects');
    const objects = await stages.run('resolve', async () => {
      const [vmlinux, exports] = await Promise.all([TargetSymbols.read('vmlinux', target.vmlinux), readSymvers(target.symvers)]);
      await mkdir(objectsDir, { recursive: true });
      return { list: await writePatchObjects({ diffs, objectsDir, vmlinux, exports }), exports };
    });
    for (const object of objects.list) {
      const entry = report.objects.find((o) => o.object === object.diff.pair.object.path);
      if (entry) entry.klpSymbols = object.resolutions.filter((r) => r.how === 'klp').map((r) => `${r.object}:${r.symbol},${r.sympos}`);
    }

    const spec: PatchModuleSpec = {
      name,
      description: `livepatch built by tsbuild-patch from ${options.patches.map((p) => p.split('/').pop()).join(', ')}`,
      patches: options.patches.map((p) => p.split('/').pop()!),
      kernelRelease: target.release,
      toolVersion: toolVersion(),
      replace: options.replace,
      objects: klpObjects(objects.list),
      diffedObjects: objects.list.map((o) => o.fileName),
      // The kernel refuses a module that uses a namespaced export without importing it.
      importNamespaces: [...new Set(objects.list.flatMap((o) => o.resolutions)
        .filter((r) => r.how === 'exported').map((r) => objects.exports.get(r.symbol)?.namespace ?? '').filter(Boolean))].sort(),
    };
    const output = resolve(options.output ?? `${name}.ko`);
    const signing = options.signing ?? (target.signKey && target.signCert ? { key: target.signKey, cert: target.signCert } : undefined);
    // The module compiles against the tree's headers: not while another run has patched them.
    const module = await stages.run('module', () => withDirLock(treeLock(tree.entry), (pid) => log(`waiting for process ${pid}, which is using ${tree.dir}`), () => buildLivepatchModule({
      spec, moduleDir, objects: new Map(objects.list.map((o) => [o.fileName, o.path])), tree: tree.dir, vars: tree.vars, runner: options.runner, exports: objects.exports,
      modulesDir: target.modulesDir, kernel: { vmlinux: target.vmlinux, config: target.config }, signing, output, jobs,
    })));
    warnings.push(...module.warnings);
    report.output = module.path;
    report.sha256 = module.sha256;
    report.signed = module.signed;
    failed = false;
    return report;
  } finally {
    if (!options.keepTmp) await scratch.cleanup();
    else log(`kept the work files of this run${failed ? ' (it failed)' : ''}: ${tmp} (objects: orig/, patched/, patch-objects/; generated module: module/)`);
  }
}
