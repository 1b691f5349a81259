/**
 * x86-64 instruction length decoding (64-bit mode only).
 *
 * The differ needs instruction boundaries for two things: finding which instruction a
 * PC-relative relocation sits in (its target is "addend + distance to the end of the
 * instruction"), and, when it guesses at line numbers (`--line-numbers guessed`), walking two
 * function bodies side by side to decide whether only a `__LINE__` immediate changed. Only
 * lengths and the primary opcode are decoded, never operands.
 */

/** What a decoded instruction looks like to the differ. */
export interface DecodedInstruction {
  /** Total length in bytes. */
  readonly length: number;
  /** Primary opcode byte (after prefixes, REX and escape bytes). */
  readonly opcode: number;
  /** Opcode map: 1 = one-byte, 2 = 0F, 3 = 0F 38, 4 = 0F 3A. */
  readonly map: 1 | 2 | 3 | 4;
  /** Offset of the ModRM byte from the start of the instruction, or -1. */
  readonly modrmOffset: number;
}

const enum Imm {
  None = 0,
  B = 1, // 8-bit
  W = 2, // 16-bit
  Z = 3, // 16 or 32 bit (operand size)
  V = 4, // 16, 32 or 64 bit (B8..BF with REX.W)
  WB = 5, // enter: imm16 + imm8
  M = 6, // moffs: address size
}

interface OpcodeInfo {
  modrm: boolean;
  imm: Imm;
}

function table(spec: (op: number) => OpcodeInfo): OpcodeInfo[] {
  return Array.from({ length: 256 }, (_, op) => spec(op));
}

const none: OpcodeInfo = { modrm: false, imm: Imm.None };
const rm: OpcodeInfo = { modrm: true, imm: Imm.None };
const rmIb: OpcodeInfo = { modrm: true, imm: Imm.B };
const rmIz: OpcodeInfo = { modrm: true, imm: Imm.Z };
const ib: OpcodeInfo = { modrm: false, imm: Imm.B };
const iz: OpcodeInfo = { modrm: false, imm: Imm.Z };

const ONE_BYTE = table((op) => {
  if (op < 0x40) {
    const low = op & 7;
    if (low < 4) return rm;
    if (low === 4) return ib;
    if (low === 5) return iz;
    return none;
  }
  if (op < 0x60) return none;
  switch (op) {
    case 0x63:
      return rm;
    case 0x68:
      return iz;
    case 0x69:
      return rmIz;
    case 0x6a:
      return ib;
    case 0x6b:
      return rmIb;
    case 0x80:
    case 0x82:
    case 0x83:
    case 0xc0:
    case 0xc1:
    case 0xc6:
      return rmIb;
    case 0x81:
    case 0xc7:
      return rmIz;
    case 0xa8:
      return ib;
    case 0xa9:
      return iz;
    case 0xc2:
    case 0xca:
      return { modrm: false, imm: Imm.W };
    case 0xc8:
      return { modrm: false, imm: Imm.WB };
    case 0xcd:
      return ib;
    case 0xe8:
    case 0xe9:
      return iz;
    case 0xeb:
      return ib;
    case 0xa0:
    case 0xa1:
    case 0xa2:
    case 0xa3:
      return { modrm: false, imm: Imm.M };
    default:
      break;
  }
  if (op >= 0x70 && op <= 0x7f) return ib;
  if (op >= 0x84 && op <= 0x8f) return rm;
  if (op >= 0xb0 && op <= 0xb7) return ib;
  if (op >= 0xb8 && op <= 0xbf) return { modrm: false, imm: Imm.V };
  if (op >= 0xd0 && op <= 0xd3) return rm;
  if (op >= 0xd8 && op <= 0xdf) return rm;
  if (op >= 0xe0 && op <= 0xe7) return ib;
  if (op === 0xfe || op === 0xff) return rm;
  // 0xf6/0xf7 are handled specially (immediate depends on ModRM.reg).
  if (op === 0xf6 || op === 0xf7) return rm;
  return none;
});

const TWO_BYTE = table((op) => {
  if (op <= 0x03) return rm;
  if (op >= 0x04 && op <= 0x0c) return none;
  if (op === 0x0d) return rm;
  if (op === 0x0e) return none;
  if (op === 0x0f) return rmIb; // 3DNow!: ModRM + opcode suffix byte
  if (op >= 0x10 && op <= 0x2f) return rm;
  if (op >= 0x30 && op <= 0x3f) return none;
  if (op >= 0x40 && op <= 0x6f) return rm;
  if (op >= 0x70 && op <= 0x73) return rmIb;
  if (op === 0x77) return none;
  if (op >= 0x74 && op <= 0x7f) return rm;
  if (op >= 0x80 && op <= 0x8f) return iz;
  if (op >= 0x90 && op <= 0x9f) return rm;
  if (op === 0xa4 || op === 0xac || op === 0xba || op === 0xc2 || (op >= 0xc4 && op <= 0xc6)) return rmIb;
  if (op === 0xa0 || op === 0xa1 || op === 0xa2 || op === 0xa8 || op === 0xa9 || op === 0xaa) return none;
  if (op >= 0xc8 && op <= 0xcf) return none;
  return rm;
});

const PREFIXES = new Set([0x26, 0x2e, 0x36, 0x3e, 0x64, 0x65, 0x66, 0x67, 0xf0, 0xf2, 0xf3]);

/** Immediate size for VEX/EVEX encoded instructions of the given map. */
function vexImmediate(map: number, op: number): number {
  if (map === 4) return 1;
  if (map === 2 && ((op >= 0x70 && op <= 0x73) || op === 0xc2 || (op >= 0xc4 && op <= 0xc6))) return 1;
  return 0;
}

/** Length of ModRM + SIB + displacement starting at `at`. */
function modrmLength(code: Uint8Array, at: number): number {
  const modrm = byteAt(code, at);
  const mod = modrm >> 6;
  const rmField = modrm & 7;
  if (mod === 3) return 1;
  let length = 1;
  if (rmField === 4) {
    const sib = byteAt(code, at + 1);
    length += 1;
    if (mod === 0 && (sib & 7) === 5) length += 4;
  } else if (mod === 0 && rmField === 5) {
    length += 4; // RIP-relative disp32
  }
  if (mod === 1) length += 1;
  else if (mod === 2) length += 4;
  return length;
}

function byteAt(code: Uint8Array, at: number): number {
  const value = code[at];
  if (value === undefined) throw new RangeError(`instruction runs past the end of the code at offset ${at}`);
  return value;
}

/**
 * Decode the instruction starting at `offset` of `code`.
 * Throws a RangeError when the bytes run out before the instruction ends.
 */
export function decodeInstruction(code: Uint8Array, offset: number): DecodedInstruction {
  let at = offset;
  let operandSize16 = false;
  let addressSize32 = false;
  while (PREFIXES.has(byteAt(code, at))) {
    if (code[at] === 0x66) operandSize16 = true;
    if (code[at] === 0x67) addressSize32 = true;
    at++;
  }
  let rexW = false;
  const maybeRex = byteAt(code, at);
  if ((maybeRex & 0xf0) === 0x40) {
    rexW = (maybeRex & 8) !== 0;
    at++;
  }

  const first = byteAt(code, at);
  // VEX (C4/C5) and EVEX (62) are always vector prefixes in 64-bit mode.
  if (first === 0xc4 || first === 0xc5 || first === 0x62) {
    let map: number;
    if (first === 0xc5) {
      map = 2;
      at += 2;
    } else if (first === 0xc4) {
      map = (byteAt(code, at + 1) & 0x1f) + 1;
      at += 3;
    } else {
      map = (byteAt(code, at + 1) & 0x03) + 1;
      at += 4;
    }
    const op = byteAt(code, at);
    at++;
    const hasModrm = !(map === 2 && op === 0x77);
    const modrmOffset = hasModrm ? at - offset : -1;
    if (hasModrm) at += modrmLength(code, at);
    at += vexImmediate(map, op);
    return { length: at - offset, opcode: op, map: clampMap(map), modrmOffset };
  }

  let map: 1 | 2 | 3 | 4 = 1;
  let op = first;
  at++;
  if (op === 0x0f) {
    const second = byteAt(code, at);
    at++;
    if (second === 0x38 || second === 0x3a) {
      map = second === 0x38 ? 3 : 4;
      op = byteAt(code, at);
      at++;
      const modrmOffset = at - offset;
      at += modrmLength(code, at);
      if (map === 4) at += 1;
      return { length: at - offset, opcode: op, map, modrmOffset };
    }
    map = 2;
    op = second;
  }

  const info = (map === 1 ? ONE_BYTE : TWO_BYTE)[op] ?? none;
  let modrmOffset = -1;
  let immediate = immediateSize(info.imm, operandSize16 && !rexW, rexW, addressSize32);
  if (info.modrm) {
    modrmOffset = at - offset;
    const reg = (byteAt(code, at) >> 3) & 7;
    at += modrmLength(code, at);
    if (map === 1 && (op === 0xf6 || op === 0xf7) && reg <= 1) {
      immediate = op === 0xf6 ? 1 : operandSize16 && !rexW ? 2 : 4;
    }
  }
  at += immediate;
  if (at > code.length) throw new RangeError(`instruction runs past the end of the code at offset ${offset}`);
  return { length: at - offset, opcode: op, map, modrmOffset };
}

function clampMap(map: number): 1 | 2 | 3 | 4 {
  return map === 3 ? 3 : map === 4 ? 4 : 2;
}

function immediateSize(kind: Imm, operand16: boolean, rexW: boolean, address32: boolean): number {
  switch (kind) {
    case Imm.None:
      return 0;
    case Imm.B:
      return 1;
    case Imm.W:
      return 2;
    case Imm.Z:
      return operand16 ? 2 : 4;
    case Imm.V:
      return rexW ? 8 : operand16 ? 2 : 4;
    case Imm.WB:
      return 3;
    case Imm.M:
      return address32 ? 4 : 8;
  }
}

/**
 * Start offsets of every instruction of `code`, decoded linearly from offset 0, plus a final
 * entry equal to the end. Returns undefined when some bytes do not decode (data in text, or an
 * encoding this decoder does not know).
 */
export function instructionStarts(code: Uint8Array): Uint32Array | undefined {
  const starts: number[] = [];
  let at = 0;
  while (at < code.length) {
    starts.push(at);
    try {
      at += decodeInstruction(code, at).length;
    } catch {
      return undefined;
    }
  }
  starts.push(at);
  return Uint32Array.from(starts);
}

/** The instruction (start, end) among `starts` that contains byte `offset`, if any. */
export function instructionAt(starts: Uint32Array, offset: number): { start: number; end: number } | undefined {
  let low = 0;
  let high = starts.length - 2;
  while (low <= high) {
    const mid = (low + high) >> 1;
    const start = starts[mid] ?? 0;
    const end = starts[mid + 1] ?? 0;
    if (offset < start) high = mid - 1;
    else if (offset >= end) low = mid + 1;
    else return { start, end };
  }
  return undefined;
}
