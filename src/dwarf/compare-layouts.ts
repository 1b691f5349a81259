/**
 * The structs and unions whose layout differs between two objects' DWARF, compared by key
 * (`struct foo`, or the typedef name of an anonymous one). A key the original does not define
 * (a new type, or one it only declares) is not a change.
 */
import type { Layout, Layouts } from './layouts.js';

export interface ChangedLayout {
  before: Layout;
  after: Layout;
}

/**
 * The changed definitions of AFTER, by the offset of their DIE in AFTER. A key defined more
 * than once (struct tags of different scopes) is unchanged when its layout is one of BEFORE's.
 */
export function changedLayouts(before: Layouts, after: Layouts): Map<number, ChangedLayout> {
  const old = before.definitions();
  const changed = new Map<number, ChangedLayout>();
  for (const [key, layouts] of after.definitions()) {
    const previous = old.get(key);
    if (!previous) continue;
    for (const layout of layouts) {
      if (previous.some((p) => p.signature === layout.signature)) continue;
      changed.set(layout.die.offset, { before: previous[0] as Layout, after: layout });
    }
  }
  return changed;
}
