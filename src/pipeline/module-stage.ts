import { copyFile, mkdir, readFile, writeFile } from 'node:fs/promises';
import { dirname } from 'node:path';
import { readElf, writeRelocatable } from '../elf/index.js';
import { checkModule, runningVermagic } from '../klp/check-module.js';
import { checkVersions } from '../klp/check-versions.js';
import { kernelVermagic } from '../kernel-facts/vermagic.js';
import { convertToLivepatchFormat, type ConversionSummary } from '../klp/convert.js';
import type { Exports } from '../klp/symvers.js';
import { buildModule, writeModuleDir } from '../kmod/build-module.js';
import { signModule, type SigningKey } from '../kmod/sign.js';
import type { PatchModuleSpec } from '../kmod/spec.js';
import { sha256 } from '../util/hash.js';
import type { Runner } from '../kbuild/runner.js';

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
  /** The running kernel's vmlinux and config (its vermagic when no module of it is at hand). */
  kernel?: { vmlinux: string; config: string };
  signing: SigningKey | undefined;
  output: string;
  jobs: number;
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
  await writeModuleDir(spec, options.moduleDir, { objects: options.objects });
  const linked = await buildModule({
    tree: options.tree, dir: options.moduleDir, name: spec.name, allowUnresolved: true, jobs: options.jobs, runner: options.runner, ...(options.vars ? { vars: options.vars } : {}),
  });
  const ko = await readElf(linked);
  const conversion = convertToLivepatchFormat(ko);
  // The running kernel's vermagic: from one of its modules, else from its vmlinux and config.
  const vermagic = (await runningVermagic(options.modulesDir)) ?? (options.kernel ? await kernelVermagic(options.kernel.vmlinux, options.kernel.config) : undefined);
  const warnings = checkModule(ko, options.exports, vermagic);
  checkVersions(ko, options.exports);
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
