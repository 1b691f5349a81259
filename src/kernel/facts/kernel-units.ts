/**
 * What the running kernel was compiled from: the DWARF compile units of its vmlinux and, when
 * its debug modules were read (module-units.ts), of each module. A unit is named as kbuild gave
 * the source to the compiler, so it also tells the object kbuild built: `drivers/gpu/drm/amd/
 * amdgpu/../display/dc/core/dc.c` is compiled by amdgpu's Makefile as `.../amdgpu/../display/
 * dc/core/dc.o`, with that Makefile's flags, not as its own directory's object.
 */
import { posix } from 'node:path';
import type { Logger } from '../../util/log.js';
import type { TargetKernel } from '../target-kernel.js';
import { vmlinuxCompileUnits } from './compile-units.js';
import { readModuleUnits } from './module-units.js';

/** A compile unit of the running kernel and what it is part of. */
export interface KernelUnit {
  /** The source as kbuild named it (its `../` kept): the object is the same path with `.o`. */
  unit: string;
  /** 'vmlinux', or the module's name as the kernel spells it. */
  into: string;
}

export class KernelUnits {
  private readonly byUnit = new Map<string, string>();
  private readonly bySource = new Map<string, KernelUnit[]>();

  /**
   * VMLINUX: the units of vmlinux. MODULES: each module's units, or undefined when they are not
   * known. COMPLETE: whether MODULES covers every module (none lacked debug information).
   */
  constructor(
    vmlinux: Iterable<string>,
    modules?: Readonly<Record<string, readonly string[]>>,
    private readonly complete = modules !== undefined,
  ) {
    for (const unit of vmlinux) this.add(unit, 'vmlinux');
    for (const [name, units] of Object.entries(modules ?? {})) for (const unit of units) this.add(unit, name);
  }

  private add(unit: string, into: string): void {
    if (!unit.endsWith('.c') || this.byUnit.has(unit)) return;
    this.byUnit.set(unit, into);
    const source = posix.normalize(unit);
    this.bySource.set(source, [...(this.bySource.get(source) ?? []), { unit, into }]);
  }

  /** The running kernel's units, with the modules' when TARGET has them (LOG tells of a damaged cache). */
  static async read(
    target: Pick<TargetKernel, 'vmlinux' | 'moduleUnits'>,
    cacheFile: string,
    log?: Logger,
  ): Promise<KernelUnits> {
    const [vmlinux, modules] = await Promise.all([
      vmlinuxCompileUnits(target.vmlinux, cacheFile, log),
      target.moduleUnits ? readModuleUnits(target.moduleUnits, log) : undefined,
    ]);
    return new KernelUnits(vmlinux, modules?.modules, modules !== undefined && modules.withoutUnits.length === 0);
  }

  /**
   * Whether every C file the kernel compiled on its own is a unit here: vmlinux's and every
   * module's are known. Then a C file that is none was not compiled as an object of its own.
   */
  get modulesKnown(): boolean {
    return this.complete;
  }

  /** The units compiled from SOURCE (a tree path, normalized): usually one, several if objects of several directories share it. */
  naming(source: string): KernelUnit[] {
    return this.bySource.get(posix.normalize(source)) ?? [];
  }

  /** What UNIT (as kbuild named it) was built into, when it is a known unit. */
  into(unit: string): string | undefined {
    return this.byUnit.get(unit);
  }

  /** Whether vmlinux was compiled from UNIT (as kbuild named it). */
  inVmlinux(unit: string): boolean {
    return this.byUnit.get(unit) === 'vmlinux';
  }
}
