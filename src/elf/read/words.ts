/**
 * Little-endian fields for the decoders' per-entry loops. Buffer's own readers validate their
 * offset argument through several calls on every read, which costs most before the JIT has
 * warmed up; the decoders check their ranges once per table and read bytes directly.
 *
 * 64-bit fields are read as two 32-bit words: reading a BigInt from a Buffer costs several
 * BigInt operations and allocations, while most fields of an object file (offsets, sizes,
 * addends, symbol values) are small. The decoders make a bigint only for the model fields
 * that are bigints, sharing one bigint per small value.
 */

export function readU16(bytes: Uint8Array, at: number): number {
  return (bytes[at] as number) | ((bytes[at + 1] as number) << 8);
}

export function readU32(bytes: Uint8Array, at: number): number {
  return (
    ((bytes[at] as number) |
      ((bytes[at + 1] as number) << 8) |
      ((bytes[at + 2] as number) << 16) |
      ((bytes[at + 3] as number) << 24)) >>>
    0
  );
}

export function readI32(bytes: Uint8Array, at: number): number {
  return (
    (bytes[at] as number) |
    ((bytes[at + 1] as number) << 8) |
    ((bytes[at + 2] as number) << 16) |
    ((bytes[at + 3] as number) << 24)
  );
}

/** High words up to this keep `high * 2^32 + low` an exact JS number (below 2^53). */
export const MAX_SAFE_HIGH_WORD = 0x1fffff;

const TWO_32 = 0x100000000;

/** The unsigned 64-bit field at `at`, or -1 when it is 2^53 or more (not exact as a number). */
export function readSafeU64(bytes: Uint8Array, at: number): number {
  const high = readU32(bytes, at + 4);
  if (high > MAX_SAFE_HIGH_WORD) return -1;
  // Only multiply when needed: `0 * 2^32 + low` is a heap number (see smallInteger).
  return high === 0 ? readU32(bytes, at) : high * TWO_32 + readU32(bytes, at);
}

/**
 * An exact integer as V8's small integer when it is one. Floating-point arithmetic (elfy
 * decodes 64-bit fields as `high * 2^32 + low`) hands back heap numbers even for small
 * values, and one heap number stored into a field makes that field a boxed double in every
 * object of the same shape: one more allocation per section or symbol, slower reads.
 */
export function smallInteger(value: number): number {
  return value >= 0 && value <= 0x7fffffff ? value | 0 : value;
}

/** Values in [-SMALL_LIMIT, SMALL_LIMIT) share one bigint each. */
const SMALL_LIMIT = 1 << 12;
const smallBigInts = new Array<bigint | undefined>(2 * SMALL_LIMIT);

/** `BigInt(value)` for an exact integer number, shared for small values. */
export function bigIntOf(value: number): bigint {
  if (value < -SMALL_LIMIT || value >= SMALL_LIMIT) return BigInt(value);
  const slot = value + SMALL_LIMIT;
  let shared = smallBigInts[slot];
  if (shared === undefined) {
    shared = BigInt(value);
    smallBigInts[slot] = shared;
  }
  return shared;
}

/** The unsigned 64-bit field at `at` as a bigint. */
export function readU64Big(bytes: Buffer, at: number): bigint {
  const safe = readSafeU64(bytes, at);
  return safe >= 0 ? bigIntOf(safe) : bytes.readBigUInt64LE(at);
}

/** The signed 64-bit field at `at` as a bigint. */
export function readI64Big(bytes: Buffer, at: number): bigint {
  const low = readI32(bytes, at);
  const high = readI32(bytes, at + 4);
  // The high word only sign-extends the low one: the value is a 32-bit signed integer.
  if ((high === 0 && low >= 0) || (high === -1 && low < 0)) return bigIntOf(low);
  return bytes.readBigInt64LE(at);
}
