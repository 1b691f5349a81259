/**
 * The functions of a patch target (vmlinux, or a module's .ko) an indirect call can land on in a
 * kernel built with CONFIG_X86_KERNEL_IBT: those whose entry holds an ENDBR64 that the kernel
 * does not seal (src/arch/x86_64/ibt-seal.ts).
 */
import { IBT_SEAL, sealedAddresses, startsWithEndbr } from '../arch/x86_64/ibt-seal.js';
import { R_X86_64_PC32 } from '../arch/x86_64/relocations.js';
import {
  ET_REL,
  readElf,
  SHF_ALLOC,
  SHF_EXECINSTR,
  SHT_NOBITS,
  STT_FUNC,
  type ElfFile,
  type ElfSection,
  type ElfSymbol,
} from '../elf/index.js';
import { UserError } from '../util/errors.js';
import { countingOrderOf, TargetSymbols, type TargetSymbol } from './symbol-positions.js';

/**
 * What an indirect call to a function finds at its entry: its ENDBR (kept), an ENDBR the kernel
 * overwrites when it boots or loads the module (sealed), or no ENDBR at all (missing: the
 * compiler leaves it out of a static function whose address its file never takes).
 */
export type EndbrState = 'kept' | 'sealed' | 'missing';

/** Sealed sites as (section, offset in it). */
type Sites = Map<ElfSection, Set<number>>;

function addSite(sites: Sites, section: ElfSection, offset: number): void {
  const set = sites.get(section);
  if (set) set.add(offset);
  else sites.set(section, new Set([offset]));
}

/** The seal list of a linked vmlinux: the bytes between its bounding symbols, else the section. */
function linkedSeals(elf: ElfFile): Sites | undefined {
  const [startName, endName] = IBT_SEAL.vmlinuxBounds;
  const start = elf.symbolByName(startName);
  const end = elf.symbolByName(endName);
  let bytes: Buffer;
  let address: bigint;
  if (start?.section && end?.section === start.section) {
    if (start.section.type === SHT_NOBITS) return undefined;
    bytes = start.section.data.subarray(start.offset, end.offset);
    address = start.value;
  } else {
    const section = elf.sectionByName(IBT_SEAL.name);
    if (!section || section.type === SHT_NOBITS) return undefined;
    bytes = section.data;
    address = section.addr;
  }
  const addresses = sealedAddresses(bytes, address);
  if (!addresses) throw new UserError(`${elf.path}: ${IBT_SEAL.name} is not a list of 4-byte entries`);
  const code = elf.sections.filter((s) => s.hasFlag(SHF_ALLOC) && s.hasFlag(SHF_EXECINSTR) && s.size > 0);
  const sites: Sites = new Map();
  for (const site of addresses) {
    const section = code.find((s) => site >= s.addr && site < s.addr + BigInt(s.size));
    if (!section) {
      throw new UserError(`${elf.path}: ${IBT_SEAL.name} names 0x${site.toString(16)}, which is in no code section`);
    }
    addSite(sites, section, Number(site - section.addr));
  }
  return sites;
}

/** The seal list of a module: one R_X86_64_PC32 relocation per entry, against the sealed place. */
function moduleSeals(elf: ElfFile): Sites {
  const sites: Sites = new Map();
  const section = elf.sectionByName(IBT_SEAL.name);
  if (!section) return sites;
  for (const relocation of elf.relocationsFor(section)) {
    const { symbol } = relocation;
    if (relocation.type !== R_X86_64_PC32 || !symbol.section) {
      throw new UserError(`${elf.path}: an entry of ${IBT_SEAL.name} is not a PC-relative reference to code`);
    }
    addSite(sites, symbol.section, symbol.offset + Number(relocation.addend));
  }
  return sites;
}

export class IbtTarget {
  private readonly sealed: Sites;
  /** The target's symbols, counted as the livepatch core counts them. */
  readonly symbols: TargetSymbols;

  /** OBJECT: the livepatch object name ("vmlinux", or the module's name). */
  constructor(
    readonly objectName: string,
    readonly elf: ElfFile,
  ) {
    if (elf.header.type === ET_REL) this.sealed = moduleSeals(elf);
    else {
      const sites = linkedSeals(elf);
      if (!sites) {
        throw new UserError(
          `${elf.path} has no list of sealed ENDBRs (${IBT_SEAL.name}, or ${IBT_SEAL.vmlinuxBounds.join(' and ')})`,
          { hint: 'an IBT kernel is checked against its vmlinux with its code and symbols (the -dbg package)' },
        );
      }
      this.sealed = sites;
    }
    this.symbols = new TargetSymbols(objectName, elf.symbols, countingOrderOf(elf.header.type));
  }

  static async read(objectName: string, path: string): Promise<IbtTarget> {
    return new IbtTarget(objectName, await readElf(path));
  }

  /** How many ENDBRs the kernel seals in this target. */
  get sealedCount(): number {
    let count = 0;
    for (const set of this.sealed.values()) count += set.size;
    return count;
  }

  /** The function the livepatch core finds as NAME at position SYMPOS (0: the only one of its name). */
  functionAt(name: string, sympos: number): ElfSymbol | undefined {
    const list = this.symbols.named(name);
    return this.asFunction(sympos === 0 ? (list.length === 1 ? list[0] : undefined) : list[sympos - 1]);
  }

  /** The global function NAME (what an export names). */
  globalFunction(name: string): ElfSymbol | undefined {
    return this.asFunction(this.symbols.named(name).find((s) => !s.local));
  }

  private asFunction(entry: TargetSymbol | undefined): ElfSymbol | undefined {
    const symbol = entry === undefined ? undefined : this.elf.symbols[entry.index];
    return symbol?.type === STT_FUNC && symbol.section ? symbol : undefined;
  }

  /** What an indirect call to the function FN of this target finds at its entry. */
  endbrState(fn: ElfSymbol): EndbrState {
    const section = fn.section;
    if (!section) throw new TypeError(`${fn.name} is not defined in ${this.elf.path}`);
    if (this.sealed.get(section)?.has(fn.offset)) return 'sealed';
    if (section.type === SHT_NOBITS) {
      throw new UserError(`${this.elf.path}: ${section.name} has no contents, so its ENDBRs cannot be read`, {
        hint: 'an IBT kernel is checked against its vmlinux with its code and symbols (the -dbg package)',
      });
    }
    return startsWithEndbr(section.data, fn.offset) ? 'kept' : 'missing';
  }
}

/** Reads vmlinux and the patched modules (livepatch object name → .ko path) as IBT targets. */
export async function readIbtTargets(
  vmlinux: string,
  modules: ReadonlyMap<string, string>,
): Promise<{ vmlinux: IbtTarget; modules: Map<string, IbtTarget> }> {
  const [kernel, ...own] = await Promise.all([
    IbtTarget.read('vmlinux', vmlinux),
    ...[...modules].map(([name, path]) => IbtTarget.read(name, path)),
  ]);
  return { vmlinux: kernel!, modules: new Map(own.map((target) => [target.objectName, target])) };
}
