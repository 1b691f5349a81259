/**
 * The module stage: the C skeleton (a klp_func per changed function, a klp_object per target,
 * callbacks, replace) built with kbuild M= together with the patch objects, converted to the
 * livepatch ELF format, checked against the running kernel, signed, and copied out.
 */
import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { readElf, writeRelocatable } from '../elf/index.js';
import { checkModule } from '../emit/check-module.js';
import { objectsWithoutObjtoolTables } from '../emit/objtool-tables.js';
import { objtoolRunsOnLinkedModules } from '../kernel/objtool-link.js';
import { checkIbtTargets, configEnablesIbt } from '../emit/check-ibt.js';
import { readIbtTargets } from '../emit/ibt-targets.js';
import { kernelVermagic, runningVermagic } from '../kernel/vermagic.js';
import { checkVersions } from '../emit/check-versions.js';
import { convertToLivepatchFormat, type ConversionSummary } from '../emit/convert.js';
import type { Exports } from '../kernel/symvers.js';
import { buildModule, linkedModulePath, writeModuleDir } from '../emit/build-module.js';
import { keepModule, moduleLinkKey, takeKeptModule } from '../emit/module-build-cache.js';
import { signModule, type SigningKey } from '../emit/sign.js';
import type { BuiltAgainst } from '../emit/built-against.js';
import type { StreamIdentity } from '../kernel/stream-facts.js';
import type { PatchModuleSpec } from '../emit/spec.js';
import { sha256 } from '../util/hash.js';
import type { Runner } from '../toolchain/runner.js';
import { treeLock } from '../kbuild/tree-slots.js';
import type { WorkTree } from '../kbuild/work-tree.js';
import type { TargetKernel } from '../kernel/target-kernel.js';
import { withDirLock } from '../util/lock.js';
import type { Logger } from '../util/log.js';
import { toolVersion } from '../util/tool-version.js';
import { klpObjects } from './patch-objects.js';
import type { ResolvedObjects } from './resolve-stage.js';

export interface ModuleStageOptions {
  spec: PatchModuleSpec;
  moduleDir: string;
  /** Patch objects: file name in the module → path. */
  objects: ReadonlyMap<string, string>;
  tree: string;
  /** make variables of the tree (compiler, release string). */
  vars?: Record<string, string>;
  runner: Runner;
  exports: Exports;
  modulesDir: string;
  /** The running kernel's vmlinux and config (its vermagic when no module of it is at hand; IBT). */
  kernel?: { vmlinux: string; config: string };
  /** The .ko of each module the patch targets, by livepatch object name (for the IBT check). */
  targetModules?: ReadonlyMap<string, string>;
  signing: SigningKey | undefined;
  output: string;
  jobs: number;
  log: Logger;
  /** Where linked modules are kept for this tree (module-build-cache.ts); absent: always link. */
  linkCache?: string;
  /** Where the tree keeps its recorded make calls (kbuild/replayed-make.ts); absent: make with the top Makefile. */
  recordings?: string;
}

export interface BuiltModule {
  path: string;
  sha256: string;
  signed: boolean;
  conversion: ConversionSummary;
  warnings: string[];
}

/**
 * Generate the C skeleton, build it with the patch objects against the work tree (kbuild M=),
 * convert the linked .ko to the livepatch ELF format, check it, sign it, and copy it out.
 */
export async function buildLivepatchModule(options: ModuleStageOptions): Promise<BuiltModule> {
  const { spec } = options;
  const config = options.kernel ? await readFile(options.kernel.config, 'utf8') : undefined;
  // A kernel that runs objtool on the linked module writes its tables there, for every function.
  const objects =
    config && objtoolRunsOnLinkedModules(config)
      ? await objectsWithoutObjtoolTables(options.objects, join(options.moduleDir, 'objtool-input'), options.log)
      : options.objects;
  await writeModuleDir(spec, options.moduleDir, { objects });
  const linked = linkedModulePath(options.moduleDir, spec.name);
  const key = options.linkCache
    ? await moduleLinkKey({
        tree: options.tree,
        moduleDir: options.moduleDir,
        name: spec.name,
        objects,
        vars: options.vars ?? {},
        runner: options.runner.description,
      })
    : undefined;
  if (options.linkCache && key && (await takeKeptModule(options.linkCache, key, linked))) {
    options.log('module: the same sources and objects were linked against this tree before; that link is reused');
  } else {
    await buildModule({
      tree: options.tree,
      dir: options.moduleDir,
      name: spec.name,
      allowUnresolved: true,
      jobs: options.jobs,
      runner: options.runner,
      ...(options.vars ? { vars: options.vars } : {}),
      ...(options.recordings ? { recordings: options.recordings } : {}),
    });
    if (options.linkCache && key) await keepModule(options.linkCache, key, linked);
  }
  const ko = await readElf(linked);
  const conversion = convertToLivepatchFormat(ko);
  // The running kernel's vermagic: from one of its modules, else from its vmlinux and config.
  const vermagic =
    (await runningVermagic(options.modulesDir)) ??
    (options.kernel ? await kernelVermagic(options.kernel.vmlinux, options.kernel.config) : undefined);
  const warnings = checkModule(ko, options.exports, vermagic);
  checkVersions(ko, options.exports);
  // An IBT kernel: no address taken of a kernel function whose ENDBR is sealed or missing.
  if (options.kernel && config && configEnablesIbt(config)) {
    const targets = await readIbtTargets(options.kernel.vmlinux, options.targetModules ?? new Map());
    checkIbtTargets(ko, { ...targets, exports: options.exports });
  }
  await writeFile(linked, writeRelocatable(ko));
  let signed = false;
  if (options.signing) {
    await signModule(options.tree, linked, options.signing);
    signed = true;
  } else {
    warnings.push('the module is not signed (no signing key for this kernel; see --sign-key/--sign-cert)');
  }
  await mkdir(dirname(options.output), { recursive: true });
  await copyFile(linked, options.output);
  return { path: options.output, sha256: sha256(await readFile(options.output)), signed, conversion, warnings };
}

/** The .ko of each module the patch targets (its plain ELF), by livepatch object name. */
export function targetModulesOf(objects: ResolvedObjects): Map<string, string> {
  return new Map(
    objects.list
      .filter((o) => o.diff.pair.object.target !== 'vmlinux')
      .map((o) => [o.diff.pair.object.target, o.diff.parent]),
  );
}

export interface ModuleSpecInput {
  name: string;
  /** The patch files (their names go into the module's description). */
  patches: readonly string[];
  kernelRelease: string;
  replace: boolean;
  objects: ResolvedObjects;
  /** The build-ids of the kernel and target modules (builtAgainstOf), recorded in .modinfo. */
  builtAgainst?: BuiltAgainst;
  /** The stream the module is a build of (recorded in .modinfo). */
  stream?: StreamIdentity;
}

/** What the C skeleton is generated from: the patch objects' functions, callbacks and namespaces. */
export function moduleSpec(input: ModuleSpecInput): PatchModuleSpec {
  const { objects } = input;
  return {
    name: input.name,
    description: `livepatch built by tsbuild-patch from ${input.patches.map((p) => p.split('/').pop()).join(', ')}`,
    patches: input.patches.map((p) => p.split('/').pop()!),
    kernelRelease: input.kernelRelease,
    toolVersion: toolVersion(),
    replace: input.replace,
    objects: klpObjects(objects.list),
    diffedObjects: objects.list.map((o) => o.fileName),
    // The kernel refuses a module that uses a namespaced export without importing it.
    importNamespaces: [
      ...new Set(
        objects.list
          .flatMap((o) => o.resolutions)
          .filter((r) => r.how === 'exported')
          .map((r) => objects.exports.get(r.symbol)?.namespace ?? '')
          .filter(Boolean),
      ),
    ].sort(),
    ...(input.builtAgainst ? { builtAgainst: input.builtAgainst } : {}),
    ...(input.stream ? { stream: input.stream } : {}),
  };
}

export interface ModuleStageInput {
  spec: PatchModuleSpec;
  objects: ResolvedObjects;
  tree: WorkTree;
  target: TargetKernel;
  runner: Runner;
  /** The key to sign with (default: the target kernel's own, when known). */
  signing: SigningKey | undefined;
  output: string;
  /** Where the module is generated and built (in the run's work directory). */
  moduleDir: string;
  jobs: number;
  log: Logger;
}

/** Build the livepatch module in the tree, under the tree's lock: it compiles against the tree's headers, not while another run has patched them. */
export function moduleStage(input: ModuleStageInput): Promise<BuiltModule> {
  const { tree, target, objects } = input;
  const signing =
    input.signing ?? (target.signKey && target.signCert ? { key: target.signKey, cert: target.signCert } : undefined);
  return withDirLock(
    treeLock(tree.entry),
    (pid) => input.log(`waiting for process ${pid}, which is using ${tree.dir}`),
    () =>
      buildLivepatchModule({
        spec: input.spec,
        moduleDir: input.moduleDir,
        objects: new Map(objects.list.map((o) => [o.fileName, o.path])),
        tree: tree.dir,
        vars: tree.vars,
        runner: input.runner,
        exports: objects.exports,
        modulesDir: target.modulesDir,
        kernel: { vmlinux: target.vmlinux, config: target.config },
        targetModules: targetModulesOf(objects),
        signing,
        output: input.output,
        jobs: input.jobs,
        log: input.log,
        linkCache: join(tree.entry, 'linked-modules'),
        ...(tree.recordings ? { recordings: tree.recordings } : {}),
      }),
  );
}
