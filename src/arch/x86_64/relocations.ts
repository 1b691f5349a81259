// x86_64 relocation types (psABI), as a table: number, name, width of the patched field in
// bytes, and whether the value is relative to the place (PC-relative).

export interface RelocationTypeInfo {
  type: number;
  name: string;
  /** Bytes the relocation writes (0 for R_X86_64_NONE and dynamic-only types). */
  width: number;
  pcRelative: boolean;
}

export const R_X86_64_NONE = 0;
export const R_X86_64_64 = 1;
export const R_X86_64_PC32 = 2;
export const R_X86_64_GOT32 = 3;
export const R_X86_64_PLT32 = 4;
export const R_X86_64_GOTPCREL = 9;
export const R_X86_64_32 = 10;
export const R_X86_64_32S = 11;
export const R_X86_64_16 = 12;
export const R_X86_64_PC16 = 13;
export const R_X86_64_8 = 14;
export const R_X86_64_PC8 = 15;
export const R_X86_64_DTPOFF32 = 21;
export const R_X86_64_GOTTPOFF = 22;
export const R_X86_64_TPOFF32 = 23;
export const R_X86_64_PC64 = 24;
export const R_X86_64_GOTOFF64 = 25;
export const R_X86_64_GOTPC32 = 26;
export const R_X86_64_SIZE32 = 32;
export const R_X86_64_SIZE64 = 33;
export const R_X86_64_GOTPCRELX = 41;
export const R_X86_64_REX_GOTPCRELX = 42;

const table: RelocationTypeInfo[] = [
  { type: R_X86_64_NONE, name: 'R_X86_64_NONE', width: 0, pcRelative: false },
  { type: R_X86_64_64, name: 'R_X86_64_64', width: 8, pcRelative: false },
  { type: R_X86_64_PC32, name: 'R_X86_64_PC32', width: 4, pcRelative: true },
  { type: R_X86_64_GOT32, name: 'R_X86_64_GOT32', width: 4, pcRelative: false },
  { type: R_X86_64_PLT32, name: 'R_X86_64_PLT32', width: 4, pcRelative: true },
  { type: 5, name: 'R_X86_64_COPY', width: 0, pcRelative: false },
  { type: 6, name: 'R_X86_64_GLOB_DAT', width: 8, pcRelative: false },
  { type: 7, name: 'R_X86_64_JUMP_SLOT', width: 8, pcRelative: false },
  { type: 8, name: 'R_X86_64_RELATIVE', width: 8, pcRelative: false },
  { type: R_X86_64_GOTPCREL, name: 'R_X86_64_GOTPCREL', width: 4, pcRelative: true },
  { type: R_X86_64_32, name: 'R_X86_64_32', width: 4, pcRelative: false },
  { type: R_X86_64_32S, name: 'R_X86_64_32S', width: 4, pcRelative: false },
  { type: R_X86_64_16, name: 'R_X86_64_16', width: 2, pcRelative: false },
  { type: R_X86_64_PC16, name: 'R_X86_64_PC16', width: 2, pcRelative: true },
  { type: R_X86_64_8, name: 'R_X86_64_8', width: 1, pcRelative: false },
  { type: R_X86_64_PC8, name: 'R_X86_64_PC8', width: 1, pcRelative: true },
  { type: 16, name: 'R_X86_64_DTPMOD64', width: 8, pcRelative: false },
  { type: 17, name: 'R_X86_64_DTPOFF64', width: 8, pcRelative: false },
  { type: 18, name: 'R_X86_64_TPOFF64', width: 8, pcRelative: false },
  { type: 19, name: 'R_X86_64_TLSGD', width: 4, pcRelative: true },
  { type: 20, name: 'R_X86_64_TLSLD', width: 4, pcRelative: true },
  { type: R_X86_64_DTPOFF32, name: 'R_X86_64_DTPOFF32', width: 4, pcRelative: false },
  { type: R_X86_64_GOTTPOFF, name: 'R_X86_64_GOTTPOFF', width: 4, pcRelative: true },
  { type: R_X86_64_TPOFF32, name: 'R_X86_64_TPOFF32', width: 4, pcRelative: false },
  { type: R_X86_64_PC64, name: 'R_X86_64_PC64', width: 8, pcRelative: true },
  { type: R_X86_64_GOTOFF64, name: 'R_X86_64_GOTOFF64', width: 8, pcRelative: false },
  { type: R_X86_64_GOTPC32, name: 'R_X86_64_GOTPC32', width: 4, pcRelative: true },
  { type: R_X86_64_SIZE32, name: 'R_X86_64_SIZE32', width: 4, pcRelative: false },
  { type: R_X86_64_SIZE64, name: 'R_X86_64_SIZE64', width: 8, pcRelative: false },
  { type: 37, name: 'R_X86_64_IRELATIVE', width: 8, pcRelative: false },
  { type: R_X86_64_GOTPCRELX, name: 'R_X86_64_GOTPCRELX', width: 4, pcRelative: true },
  { type: R_X86_64_REX_GOTPCRELX, name: 'R_X86_64_REX_GOTPCRELX', width: 4, pcRelative: true },
];

const byType = new Map(table.map((info) => [info.type, info]));

/** Facts about a relocation type, or undefined for a type this table does not know. */
export function relocationTypeInfo(type: number): RelocationTypeInfo | undefined {
  return byType.get(type);
}

/** The psABI name of a relocation type, or `R_X86_64_<n>` for unknown ones. */
export function relocationTypeName(type: number): string {
  return byType.get(type)?.name ?? `R_X86_64_${type}`;
}
