/**
 * Correlate static local variables by use rather than by name: gcc numbers them
 * (`count.1234`) and the numbers shift with unrelated edits, so two statics can share a number
 * by accident. A static of the original is paired with the same-named static that the same
 * function (or, after a split, one of its child functions) references in the patched object.
 */
import { SHF_WRITE, STT_OBJECT } from '../elf/constants.js';
import { correlateSectionPair, correlateSymbolPair, uncorrelate } from './correlate.js';
import {
  isDebugSection,
  isRelaSection,
  sectionOwnerName,
  type DiffObject,
  type DiffSection,
  type DiffSymbol,
} from './model.js';
import { namesMatchIgnoringNumbers } from './names.js';
import { DiffRefusal } from './refusal.js';
import { isNormalStaticLocal } from './statics.js';

function isBundled(symbol: DiffSymbol): boolean {
  return symbol.section?.bundled === symbol;
}

/** The nearest ancestor function that has a twin (a `.part` clone may have lost its own). */
function correlatedAncestor(symbol: DiffSymbol): DiffSymbol | undefined {
  let current = symbol;
  while (current.parent && !current.parent.twin) current = current.parent;
  return current.parent;
}

/** The relocation section whose twin should hold the references of `rela`. */
function referenceSite(rela: DiffSection): DiffSection | undefined {
  if (rela.twin || !rela.base?.bundled) return rela;
  const ancestor = correlatedAncestor(rela.base.bundled);
  return ancestor ? ancestor.section?.rela : rela;
}

function uncorrelatedNamesake(rela: DiffSection, symbol: DiffSymbol): DiffSymbol | undefined {
  for (const relocation of rela.relocations) {
    const candidate = relocation.symbol;
    if (candidate.twin || candidate.type !== symbol.type) continue;
    if (symbol.type === STT_OBJECT && candidate.size !== symbol.size) continue;
    if (namesMatchIgnoringNumbers(candidate.name, symbol.name)) return candidate;
  }
  return undefined;
}

/** Children whose code lives in a section of their own (not their parent's). */
function separateChildren(parent: DiffSymbol): DiffSymbol[] {
  const parentRela = parent.section?.rela;
  return parent.children.filter((child) => child.section?.rela && child.section.rela !== parentRela);
}

function namesakeInChildren(parent: DiffSymbol, symbol: DiffSymbol): DiffSymbol | undefined {
  for (const child of separateChildren(parent)) {
    const found = uncorrelatedNamesake(child.section!.rela!, symbol) ?? namesakeInChildren(child, symbol);
    if (found) return found;
  }
  return undefined;
}

function findPatchedTwin(rela: DiffSection, symbol: DiffSymbol): DiffSymbol | undefined {
  const site = referenceSite(rela);
  const twin = site?.twin;
  if (!twin) return undefined;
  const found = uncorrelatedNamesake(twin, symbol);
  if (found) return found;
  return twin.base?.bundled ? namesakeInChildren(twin.base.bundled, symbol) : undefined;
}

function referencesTwin(rela: DiffSection, symbol: DiffSymbol): boolean {
  if (rela.relocations.some((relocation) => relocation.symbol === symbol.twin)) return true;
  const owner = rela.base?.bundled;
  if (!owner) return false;
  return separateChildren(owner).some((child) => referencesTwin(child.section!.rela!, symbol));
}

function staticReferences(object: DiffObject): Array<{ rela: DiffSection; symbol: DiffSymbol }> {
  const references: Array<{ rela: DiffSection; symbol: DiffSymbol }> = [];
  // Every relocation of the object: indexed loops (no iterator results before the JIT warms up).
  const sections = object.sections;
  for (let s = 0; s < sections.length; s++) {
    const rela = sections[s]!;
    if (!isRelaSection(rela) || isDebugSection(rela)) continue;
    const relocations = rela.relocations;
    for (let r = 0; r < relocations.length; r++) {
      const symbol = relocations[r]!.symbol;
      if (isNormalStaticLocal(symbol)) references.push({ rela, symbol });
    }
  }
  return references;
}

/** Undo name-based pairings of static locals: their numbers pair them only by coincidence. */
function forgetNamePairings(original: DiffObject): void {
  for (const symbol of original.symbols) {
    if (!isNormalStaticLocal(symbol)) continue;
    if (symbol.twin) uncorrelate(symbol);
    const section = symbol.section;
    if (section && isBundled(symbol) && section.twin) {
      uncorrelate(section);
      if (section.sectionSymbol?.twin) uncorrelate(section.sectionSymbol);
      if (section.rela?.twin) uncorrelate(section.rela);
    }
  }
}

/** A bundled static whose own relocations point at itself. */
function refersToItself(rela: DiffSection, symbol: DiffSymbol): boolean {
  return isBundled(symbol) && symbol.section === rela.base;
}

/**
 * A static local in read-only data (a constant: the message of NL_SET_ERR_MSG, a table) holds
 * no state: a patched function that stops using it loses nothing. A writable one might have
 * been replaced by a new variable, whose state would start again from zero.
 */
function isReadOnly(symbol: DiffSymbol): boolean {
  return symbol.section !== undefined && (symbol.section.flags & SHF_WRITE) === 0;
}

export function correlateStaticLocals(original: DiffObject, patched: DiffObject): string[] {
  forgetNamePairings(original);
  const references = staticReferences(original);
  const notes: string[] = [];

  // A static referenced from another static (a compound literal inside a compound literal of
  // a static table) can only be paired once its referrer is: pair what can be, again and again,
  // until nothing more pairs; what is left has no twin.
  // A static that refers to itself tells nothing; hope for another reference.
  let pending = references.filter(({ rela, symbol }) => !refersToItself(rela, symbol));
  for (let paired = true; paired;) {
    paired = false;
    const waiting: typeof pending = [];
    for (const reference of pending) {
      const { rela, symbol } = reference;
      if (symbol.twin) continue;
      const twin = findPatchedTwin(rela, symbol);
      if (!twin) {
        waiting.push(reference);
        continue;
      }
      if (isBundled(symbol) !== isBundled(twin)) {
        throw DiffRefusal.of(
          'static-local',
          `static local ${symbol.name}: one copy has a section of its own and the other does not`,
        );
      }
      if (!isBundled(symbol) && symbol.section?.twin !== twin.section) {
        throw DiffRefusal.of(
          'static-local',
          `static local ${symbol.name}: sections ${symbol.section?.name} and ${twin.section?.name} are not twins`,
        );
      }
      correlateSymbolPair(symbol, twin);
      if (isBundled(symbol) && symbol.section && twin.section) correlateSectionPair(symbol.section, twin.section);
      paired = true;
    }
    pending = waiting;
  }
  for (const { rela, symbol } of pending) {
    if (!symbol.twin && !isReadOnly(symbol)) {
      throw DiffRefusal.of(
        'static-local',
        `reference to static local variable ${symbol.name} in ${sectionOwnerName(rela)} was removed`,
      );
    }
  }

  for (const { rela, symbol } of references) {
    const site = referenceSite(rela);
    if (isReadOnly(symbol) && site?.twin && (!symbol.twin || !referencesTwin(site.twin, symbol))) {
      if (!refersToItself(rela, symbol)) {
        notes.push(
          `${sectionOwnerName(site)} no longer uses the read-only static local ${symbol.name} (a constant: nothing is lost)`,
        );
      }
      continue;
    }
    if (!symbol.twin || !site?.twin) {
      throw DiffRefusal.of(
        'static-local',
        `reference to static local variable ${symbol.name} in ${sectionOwnerName(site ?? rela)} was removed`,
      );
    }
    if (!referencesTwin(site.twin, symbol)) {
      throw DiffRefusal.of(
        'static-local',
        `static local ${symbol.name} was paired with ${symbol.twin.name}, but the patched ${sectionOwnerName(site.twin)} no longer references it`,
      );
    }
  }

  for (const { rela, symbol } of staticReferences(patched)) {
    if (symbol.twin) continue;
    notes.push(`static local variable ${symbol.name} used by ${sectionOwnerName(rela)} has no twin: treated as new`);
    break;
  }
  return notes;
}
