/**
 * The IBT check of a livepatch module, for kernels built with CONFIG_X86_KERNEL_IBT: the module
 * must not take the address of a kernel function whose entry has no ENDBR at run time (sealed by
 * the kernel, or never emitted), since an indirect call through that address raises #CP
 * ("Missing ENDBR") on IBT hardware; qemu's TCG does not emulate IBT, so no VM test would see it.
 *
 * The module's references to kernel functions are its livepatch relocations (symbols
 * `.klp.sym.<object>.<name>,<pos>`, in `.klp.rela.*` once converted, in the ordinary relocation
 * sections before) and its ordinary relocations against exported functions; both are checked,
 * so the module can be checked before or after the conversion to the livepatch format. A direct
 * call or jump needs no ENDBR; every other reference counts as taking the address
 * (src/arch/x86_64/branch-references.ts).
 */
import { isCodeTable, isDirectBranch } from '../arch/x86_64/branch-references.js';
import { relocationTypeName } from '../arch/x86_64/relocations.js';
import { SHF_EXECINSTR, type ElfFile, type ElfSection, type Relocation } from '../elf/index.js';
import { parseKconfig } from '../kernel/kconfig.js';
import { moduleNameOf } from '../kernel/module-name.js';
import type { Exports } from '../kernel/symvers.js';
import { RefusedError } from '../util/errors.js';
import type { ObjectRefusal } from '../util/refusal.js';
import type { EndbrState, IbtTarget } from './ibt-targets.js';
import { parseKlpSymbolName } from './klp-names.js';

/** The option that makes the kernel seal ENDBRs: the check applies to kernels built with it. */
export const IBT_OPTION = 'X86_KERNEL_IBT';

/** Whether a kernel .config (its text) enables IBT. */
export function configEnablesIbt(configText: string): boolean {
  return parseKconfig(configText).get(IBT_OPTION) === 'y';
}

/** The patch targets a livepatch module's references to kernel functions are resolved in. */
export interface IbtTargets {
  vmlinux: IbtTarget;
  /** The modules the livepatch patches, by livepatch object name. */
  modules: ReadonlyMap<string, IbtTarget>;
  /** Who exports what (Module.symvers), for the module's ordinary undefined symbols. */
  exports: Exports;
}

/** A kernel function whose address the module takes although an indirect call to it faults. */
export interface UnreachableAddress {
  /** The kernel function: its livepatch object, name and position (0: unique). */
  object: string;
  name: string;
  sympos: number;
  state: Exclude<EndbrState, 'kept'>;
  /** Where the module takes the address: its section, the symbol around the place, the relocation type. */
  section: string;
  referrer: string | undefined;
  relocation: string;
}

interface KernelFunction {
  target: IbtTarget;
  name: string;
  sympos: number;
  state: EndbrState;
}

function kernelFunction(relocation: Relocation, targets: IbtTargets): KernelFunction | undefined {
  const { symbol } = relocation;
  const klp = parseKlpSymbolName(symbol.name);
  if (klp) {
    const target = klp.object === 'vmlinux' ? targets.vmlinux : targets.modules.get(klp.object);
    const fn = target?.functionAt(klp.name, klp.sympos);
    return target && fn ? { target, name: klp.name, sympos: klp.sympos, state: target.endbrState(fn) } : undefined;
  }
  if (!symbol.isUndefined || symbol.name === '') return undefined;
  // An export of a module the patch does not target is not at hand; objtool keeps the ENDBR
  // of every exported function anyway (the export entry takes its address).
  const owner = targets.exports.get(symbol.name)?.owner;
  const target = owner === 'vmlinux' ? targets.vmlinux : owner && targets.modules.get(moduleNameOf(owner));
  const fn = target ? target.globalFunction(symbol.name) : undefined;
  return target && fn ? { target, name: symbol.name, sympos: 0, state: target.endbrState(fn) } : undefined;
}

function takesAddress(section: ElfSection, relocation: Relocation): boolean {
  if (!section.hasFlag(SHF_EXECINSTR)) return !isCodeTable(section.name);
  return !isDirectBranch(section.data, relocation.offset, relocation.type);
}

/** Every kernel function whose address the livepatch module KO takes and an indirect call cannot reach. */
export function unreachableAddresses(ko: ElfFile, targets: IbtTargets): UnreachableAddress[] {
  const found = new Map<string, UnreachableAddress>();
  for (const rela of ko.relocationSections) {
    const section = rela.target;
    for (const relocation of rela.relocations) {
      const fn = kernelFunction(relocation, targets);
      if (!fn || fn.state === 'kept' || !takesAddress(section, relocation)) continue;
      const referrer = ko.findSymbolAt(section, relocation.offset)?.name;
      const entry: UnreachableAddress = {
        object: fn.target.objectName,
        name: fn.name,
        sympos: fn.sympos,
        state: fn.state,
        section: section.name,
        referrer,
        relocation: relocationTypeName(relocation.type),
      };
      const key = [entry.object, entry.name, entry.sympos, entry.section, entry.referrer].join('\0');
      if (!found.has(key)) found.set(key, entry);
    }
  }
  return [...found.values()];
}

const reach = 'an indirect call to it faults on IBT hardware';

/** The reason a refusal gives for one unreachable address. */
export function describeUnreachable(entry: UnreachableAddress): string {
  const where = entry.referrer ? `${entry.referrer} (section ${entry.section})` : `section ${entry.section}`;
  const position = entry.sympos > 0 ? ` (position ${entry.sympos})` : '';
  const what = `${where} takes the address of ${entry.object} function ${entry.name}${position} (${entry.relocation})`;
  if (entry.state === 'sealed') {
    const when = entry.object === 'vmlinux' ? 'at boot' : 'when the module loads';
    return `${what}: its ENDBR is sealed ${when}; ${reach}`;
  }
  return `${what}: it has no ENDBR (nothing in ${entry.object} takes its address, so the compiler left it out); ${reach}`;
}

/**
 * Refuse a livepatch module KO that takes the address of a kernel function no indirect call can
 * reach on an IBT kernel, naming each function, where the module takes it, and why.
 */
export function checkIbtTargets(ko: ElfFile, targets: IbtTargets): void {
  const entries = unreachableAddresses(ko, targets);
  if (entries.length === 0) return;
  const reasons: ObjectRefusal[] = entries.map((entry) => ({
    object: ko.path,
    reason: describeUnreachable(entry),
    category: entry.state === 'sealed' ? 'sealed-endbr' : 'missing-endbr',
  }));
  throw new RefusedError(
    `${ko.path}: the livepatch takes the address of kernel functions that an indirect call cannot reach on IBT hardware:\n${reasons.map((r) => `  ${r.reason}`).join('\n')}`,
    reasons,
    'call the function directly, or change it in the patch too, so that the livepatch carries its own copy (which keeps its ENDBR)',
  );
}
