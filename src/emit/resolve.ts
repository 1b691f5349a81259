import { STB_GLOBAL, STT_NOTYPE, type ElfFile, type ElfSymbol } from '../elf/index.js';
import { refusedError } from '../util/errors.js';
import { klpSymbolName } from './klp-names.js';
import type { Exports } from '../kernel/symvers.js';
import type { TargetSymbol, TargetSymbols } from './symbol-positions.js';

/** How one symbol the patch refers to but does not define is reached at run time. */
export interface Resolution {
  symbol: string;
  how: 'patch' | 'exported' | 'klp';
  /** For 'klp': the object (vmlinux or a module) and the position. */
  object?: string;
  sympos?: number;
}

/** The object a symbol reference comes from, to pick among target symbols of the same name. */
export interface ReferringObject {
  /** Path of the object, for messages. */
  objectPath: string;
  /** Basename of its source (the STT_FILE name), e.g. "cmdline.c". */
  sourceFile: string;
  /** Local symbol names of the original object, to pick its block in the target's symtab. */
  originalLocals: ReadonlySet<string>;
  /** The original object's local functions and data in symbol-table order, with sizes. */
  originalLocalSequence?: ReadonlyArray<{ name: string; size: number }>;
}

export interface ResolveContext extends ReferringObject {
  /** "vmlinux" or the module the object belongs to. */
  target: string;
  vmlinux: TargetSymbols;
  /** The target module's symbols, when the target is a module. */
  module?: TargetSymbols;
  exports: Exports;
  /** Global symbols defined by the patch module itself (any diffed object). */
  definedInPatch: ReadonlySet<string>;
}

/**
 * Which of the target's symbols called NAME an object means: the only one; for a global
 * reference the only global; for a static one the static of the object's file, told apart
 * from statics of files of the same name by the object's other local names. Undefined when
 * the target has none; a refusal when several fit equally.
 */
export function chooseTargetSymbol(
  symbols: TargetSymbols,
  name: string,
  local: boolean,
  from: ReferringObject,
): TargetSymbol | undefined {
  const candidates = symbols.named(name);
  if (candidates.length <= 1) return candidates[0];
  if (!local) {
    const globals = candidates.filter((c) => !c.local);
    if (globals.length === 1) return globals[0];
  }
  const sameFile = candidates.filter((c) => c.local && c.file === from.sourceFile);
  if (sameFile.length === 1) return sameFile[0];
  const pool = sameFile.length > 1 ? sameFile : candidates.filter((c) => c.local);
  const scored = pool
    .map((c) => ({ c, score: symbols.blockScore(c.block, from.originalLocals) }))
    .sort((a, b) => b.score - a.score);
  if (scored.length > 0 && (scored.length === 1 || (scored[0]?.score ?? 0) > (scored[1]?.score ?? 0)))
    return scored[0]?.c;
  // No file blocks (a module stripped of STT_FILE): the candidate around which the object's
  // own locals line up, same names, sizes and order. Chosen only when one clearly wins.
  const sequence = from.originalLocalSequence;
  if (!symbols.hasFileBlocks && sequence && sequence.length > 0) {
    const aligned = pool
      .map((c) => ({ c, score: symbols.alignmentScore(c, sequence) }))
      .sort((a, b) => b.score - a.score);
    const [best, second] = aligned;
    if (best && best.score >= Math.min(sequence.length, 2) && best.score > (second?.score ?? 0)) return best.c;
  }
  throw refusedError(
    'ambiguous-symbol',
    `cannot tell which of the ${candidates.length} symbols named '${name}' in ${symbols.objectName} the patch refers to`,
    {
      object: from.objectPath,
      hint: 'the running kernel has several static symbols of this name in files of the same name',
    },
  );
}

const choose = (symbols: TargetSymbols, wanted: ElfSymbol, ctx: ResolveContext) =>
  chooseTargetSymbol(symbols, wanted.name, wanted.isLocal, ctx);

function resolveOne(symbol: ElfSymbol, ctx: ResolveContext): Resolution {
  const name = symbol.name;
  if (!symbol.isLocal && ctx.definedInPatch.has(name)) return { symbol: name, how: 'patch' };
  const exported = symbol.isLocal ? undefined : ctx.exports.get(name);
  const inModule = ctx.module ? choose(ctx.module, symbol, ctx) : undefined;
  if (ctx.module && inModule)
    return { symbol: name, how: 'klp', object: ctx.module.objectName, sympos: ctx.module.positionOf(inModule) };
  if (exported) return { symbol: name, how: 'exported' };
  const inVmlinux = choose(ctx.vmlinux, symbol, ctx);
  if (inVmlinux) return { symbol: name, how: 'klp', object: 'vmlinux', sympos: ctx.vmlinux.positionOf(inVmlinux) };
  const where = ctx.module ? `${ctx.module.objectName} or vmlinux` : 'vmlinux';
  throw refusedError(
    'unexported-symbol',
    `the patch refers to '${name}', which is not in ${where} nor exported by any module`,
    { object: ctx.objectPath },
  );
}

/**
 * Give every symbol the patch object refers to without defining it its run-time meaning:
 * symbols exported by the kernel stay ordinary undefined symbols (the module loader resolves
 * them); every other one becomes ".klp.sym.<object>.<name>,<sympos>" (untyped), which the
 * post-link step turns into a livepatch symbol resolved by the livepatch core.
 */
export function resolveUndefinedSymbols(object: ElfFile, ctx: ResolveContext): Resolution[] {
  const referenced = new Set<ElfSymbol>();
  for (const section of object.relocationSections)
    for (const relocation of section.relocations) referenced.add(relocation.symbol);
  const resolutions: Resolution[] = [];
  for (const symbol of referenced) {
    if (!symbol.isUndefined || symbol.name === '') continue;
    const resolution = resolveOne(symbol, ctx);
    resolutions.push(resolution);
    if (resolution.how === 'klp') {
      symbol.name = klpSymbolName(resolution.object ?? 'vmlinux', symbol.name, resolution.sympos ?? 0);
      symbol.bind = STB_GLOBAL;
      // An undefined reference needs no type; a FUNC named "...cold,0" is taken by objtool (which
      // kbuild runs on the linked module of an IBT kernel) for a split-off part whose parent it
      // must find in the module, and fails the build.
      symbol.type = STT_NOTYPE;
    } else if (symbol.isLocal) {
      symbol.bind = STB_GLOBAL;
    }
  }
  object.invalidateIndexes();
  return resolutions;
}
