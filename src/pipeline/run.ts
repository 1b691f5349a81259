import { availableParallelism } from 'node:os';
import { join, resolve } from 'node:path';
import { dir as tmpDir } from 'tmp-promise';
import type { Runner } from '../toolchain/runner.js';
import type { WorkTree } from '../kbuild/work-tree.js';
import type { TargetKernel } from '../kernel/target-kernel.js';
import type { StreamIdentity } from '../kernel/stream-facts.js';
import type { TargetOptions } from '../sources/resolve-target.js';
import { entrySizesFromKernel } from '../kernel/facts/measured-entry-sizes.js';
import type { ObjectReport, RunReport } from '../report/run-report.js';
import type { Logger } from '../util/log.js';
import { cacheRoot } from '../util/cache.js';
import { toolVersion } from '../util/tool-version.js';
import type { StageHooks } from '../util/progress.js';
import type { BuildProgress } from '../util/run-context.js';
import { startRunSession, type RunSession } from '../util/run-session.js';
import { diffStage, requireLivepatchableChange, type ObjectDiff } from './diff-stage.js';
import { builtAgainstOf } from '../emit/built-against.js';
import { checkModuleName, defaultModuleName } from '../emit/livepatch-name.js';
import { builtinModuleNames, type BuiltinNames } from '../kernel/facts/builtin-modules.js';
import { checkNotBuiltinName } from '../kernel/module-name.js';
import { moduleSpec, moduleStage, targetModulesOf } from './module-stage.js';
import { describeTree, originalBuildStage } from './original-build-stage.js';
import { patchedBuildStage } from './patched-build-stage.js';
import { klpSymbolsOf, resolveStage } from './resolve-stage.js';
import { StageRunner } from './stages.js';
import { targetKernelStage } from './target-kernel-stage.js';
import { validateStage } from './validate-stage.js';

export interface PipelineOptions {
  patches: string[];
  target: TargetOptions;
  runner: Runner;
  name?: string;
  output?: string;
  replace: boolean;
  /** A build of a stream (src/pipeline/stream.ts): recorded in the module's .modinfo. */
  stream?: StreamIdentity;
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
    object: diff.pair.object.path,
    target: diff.pair.object.target,
    outcome: r.outcome,
    changedFunctions: r.changedFunctions,
    newFunctions: r.newFunctions,
    callbacks: r.callbacks.map((c) => ({ ...c })),
    reasons: r.refusals.map((x) => x.reason),
    categories: r.refusals.map((x) => x.category),
    notes: r.notes,
    klpSymbols,
  };
}

/** The built-in module names of a kernel, read once per vmlinux (a batch's patches share them). */
const builtinNames = new Map<string, Promise<BuiltinNames>>();
function builtinNamesOf(target: TargetKernel): Promise<BuiltinNames> {
  const key = `${target.vmlinux}\0${target.modulesDir}`;
  let names = builtinNames.get(key);
  if (!names) {
    names = builtinModuleNames(target);
    names.catch(() => builtinNames.delete(key));
    builtinNames.set(key, names);
  }
  return names;
}

/**
 * Where the module NAME goes: OUTPUT itself when it names a .ko file, else into the directory
 * OUTPUT as kpatch-build's -o means it (OUTPUT/NAME.ko, the directory made when missing);
 * ./NAME.ko without OUTPUT.
 */
export function moduleOutputPath(output: string | undefined, name: string): string {
  if (output === undefined) return resolve(`${name}.ko`);
  return resolve(output.endsWith('.ko') ? output : join(output, `${name}.ko`));
}

/**
 * The whole job: patches in, a signed livepatch module out. Every run keeps its logs (its
 * messages in run.log, each stage's build output in <stage>.log) in a directory of its own under
 * the cache, named in the report and in the messages of a failure.
 */
export async function runPipeline(options: PipelineOptions): Promise<RunReport> {
  const session = await startRunSession({ log: options.log, debug: options.debug, progress: options.progress });
  session.debug(
    `tsbuild-patch ${toolVersion()}, node ${process.version}, pid ${process.pid}; cache ${cacheRoot()}; logs of this run: ${session.runDir}`,
  );
  session.debug(`patches: ${options.patches.join(' ')}; runner: ${options.runner.description}`);
  return session.run(() => runStages(options, session));
}

/**
 * The stages in order, each timed (src/pipeline/<stage>-stage.ts): validate, target-kernel,
 * original-build, patched-build, diff, resolve, module. A batch's patches share the target kernel
 * and its tree (each made by the first patch that needs it).
 */
async function runStages(options: PipelineOptions, session: RunSession): Promise<RunReport> {
  const { log, debug } = session;
  const stages = new StageRunner(log, session.stages);
  const jobs = options.jobs ?? availableParallelism();
  const warnings: string[] = [];
  const shared = options.batch?.shared;

  const patches = await stages.run('validate', () => validateStage(options.patches));
  const name = checkModuleName(options.name ?? defaultModuleName(options.patches[0]!));
  const findTarget = () => targetKernelStage({ target: options.target, log, debug });
  const target = await stages.run('target-kernel', () => (shared ? (shared.target ??= findTarget()) : findTarget()));
  // A name the kernel has for built-in code cannot be loaded: refused before anything is built.
  checkNotBuiltinName(name, await builtinNamesOf(target), target.release);
  // The running kernel's special-section entry sizes (pahole over its DWARF, cached by build-id)
  // are measured while the tree is prepared and the objects are built.
  const kernelFacts = entrySizesFromKernel(target.vmlinux, log);
  kernelFacts.catch(() => undefined); // awaited (and reported) by the diff stage
  const tree = await stages.run('original-build', () =>
    originalBuildStage({
      target,
      runner: options.runner,
      log,
      jobs: options.batch ? availableParallelism() : jobs,
      skipCompilerCheck: options.skipCompilerCheck ?? false,
      batch: options.batch,
    }),
  );
  warnings.push(...(tree.warnings ?? []));
  debug(await describeTree(tree, { jobs, compiler: options.debug ?? false }));

  const scratch = await tmpDir({ unsafeCleanup: true, prefix: 'tsbp-run-' });
  const tmp = scratch.path;
  if (options.keepTmp) log(`keeping temporary files in ${tmp}`);
  let failed = true;
  try {
    const built = await stages.run('patched-build', () =>
      patchedBuildStage({ tree, patches, outputDir: tmp, log, jobs }),
    );
    warnings.push(...built.warnings);
    const diffs = await stages.run('diff', () =>
      diffStage({ pairs: built.pairs, target, kernelFacts, concurrency: jobs }),
    );
    const report: RunReport = {
      module: name,
      signed: false,
      kernelRelease: target.release,
      ...(target.vmlinuz ? { kernelImage: target.vmlinuz } : {}),
      ...(target.modulesDir ? { modulesDir: target.modulesDir } : {}),
      runner: tree.runner.description,
      stages: stages.stages,
      objects: diffs.map((d) => objectReport(d, [])),
      warnings,
      logDir: session.runDir,
      tree: tree.dir,
    };
    requireLivepatchableChange(diffs);

    const objects = await stages.run('resolve', () =>
      resolveStage({ diffs, target, objectsDir: join(tmp, 'patch-objects') }),
    );
    warnings.push(...objects.warnings);
    for (const object of objects.list) {
      const entry = report.objects.find((o) => o.object === object.diff.pair.object.path);
      if (entry) entry.klpSymbols = klpSymbolsOf(object);
    }

    // The kernel's identity: the build-ids of its vmlinux and the target modules, for the loader.
    const identity = await builtAgainstOf(target.vmlinux, targetModulesOf(objects));
    warnings.push(...identity.warnings);
    const spec = moduleSpec({
      name,
      patches: options.patches,
      kernelRelease: target.release,
      replace: options.replace,
      objects,
      builtAgainst: identity.builtAgainst,
      ...(options.stream ? { stream: options.stream } : {}),
    });
    const output = moduleOutputPath(options.output, name);
    const module = await stages.run('module', () =>
      moduleStage({
        spec,
        objects,
        tree,
        target,
        runner: tree.runner,
        signing: options.signing,
        output,
        moduleDir: join(tmp, 'module'),
        jobs,
        log,
      }),
    );
    warnings.push(...module.warnings);
    report.output = module.path;
    report.sha256 = module.sha256;
    report.signed = module.signed;
    failed = false;
    return report;
  } finally {
    if (!options.keepTmp) await scratch.cleanup();
    else
      log(
        `kept the work files of this run${failed ? ' (it failed)' : ''}: ${tmp} (objects: orig/, patched/, patch-objects/; generated module: module/)`,
      );
  }
}
