/**
 * What changed between two layouts of one type, member by member, in words:
 * `member 'bar' moved from offset 8 to 16`, `member 'mid' added at offset 8`,
 * `member 'n' changed type from int to long`, `size 24 -> 32`.
 */
import type { Field, Layout } from './layouts.js';

const isByteAligned = (field: Field) => field.bits === undefined && field.bit % 8 === 0;

function position(field: Field): string {
  if (isByteAligned(field)) return `offset ${field.bit / 8}`;
  return `bit offset ${field.bit}`;
}

function fieldChanges(before: Field, after: Field): string[] {
  const changes: string[] = [];
  const name = `member '${after.name}'`;
  if (before.type !== after.type) changes.push(`${name} changed type from ${before.type} to ${after.type}`);
  if (before.bits !== after.bits) {
    const width = (f: Field) => (f.bits === undefined ? 'a whole member' : `${f.bits} bits`);
    changes.push(`${name} changed width from ${width(before)} to ${width(after)}`);
  }
  if (before.bit !== after.bit) {
    const bytes = isByteAligned(before) && isByteAligned(after);
    const to = bytes ? `${after.bit / 8}` : position(after);
    changes.push(`${name} moved from ${position(before)} to ${to}`);
  }
  return changes;
}

/** Every difference of AFTER from BEFORE (members in AFTER's order, then removed ones, then size). */
export function layoutChanges(before: Layout, after: Layout): string[] {
  const old = new Map(before.fields.map((field) => [field.name, field]));
  const kept = new Set<string>();
  const changes: string[] = [];
  for (const field of after.fields) {
    const previous = old.get(field.name);
    if (!previous) {
      changes.push(`member '${field.name}' added at ${position(field)}`);
      continue;
    }
    kept.add(field.name);
    changes.push(...fieldChanges(previous, field));
  }
  for (const field of before.fields) {
    if (!kept.has(field.name)) changes.push(`member '${field.name}' removed from ${position(field)}`);
  }
  if (before.size !== after.size) changes.push(`size ${before.size ?? '?'} -> ${after.size ?? '?'}`);
  return changes;
}

/** The changes for a message: the first few, and how many more there are. */
export function summarizeChanges(changes: readonly string[], shown = 3): string {
  const size = changes.find((change) => change.startsWith('size '));
  const members = changes.filter((change) => change !== size);
  const listed = members.slice(0, shown);
  if (members.length > shown) listed.push(`${members.length - shown} more member change(s)`);
  if (size) listed.push(size);
  return listed.join('; ');
}
