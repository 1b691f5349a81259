/**
 * Which files of a tree may #define a macro name: a compact index (a hash per definition, some
 * millions in a kernel tree) filled while the include graph reads the tree, so that the files
 * defining the macros of `#include MACRO` lines are the only ones read again (macro-includes.ts).
 */
const DEFINED_NAME = /^[ \t]*#[ \t]*define[ \t]+([A-Za-z_]\w*)/gm;

/** FNV-1a of a macro name. */
function nameHash(name: string): number {
  let hash = 0x811c9dc5;
  for (let i = 0; i < name.length; i++) hash = Math.imul(hash ^ name.charCodeAt(i), 0x01000193);
  return hash | 0;
}

export class DefinitionSites {
  private hashes = new Int32Array(1 << 16);
  private files = new Int32Array(1 << 16);
  private count = 0;

  /** Note the macros FILE (an index) defines in TEXT. */
  note(file: number, text: string): void {
    for (const match of text.matchAll(DEFINED_NAME)) {
      if (this.count === this.hashes.length) {
        const grow = (old: Int32Array) => {
          const larger = new Int32Array(old.length * 2);
          larger.set(old);
          return larger;
        };
        this.hashes = grow(this.hashes);
        this.files = grow(this.files);
      }
      this.hashes[this.count] = nameHash(match[1]!);
      this.files[this.count++] = file;
    }
  }

  /** The files (indexes) that may define NAME. */
  candidates(name: string): number[] {
    const hash = nameHash(name);
    const found = new Set<number>();
    for (let i = 0; i < this.count; i++) if (this.hashes[i] === hash) found.add(this.files[i]!);
    return [...found];
  }
}
