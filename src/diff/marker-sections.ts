/**
 * Sections that patch authors' marker macros create. They carry instructions for the differ
 * (callbacks to register, functions or sections to leave alone, functions to force), never code
 * for the patch itself.
 *
 * Our own header (kmod-template/include/linux/livepatch_helpers.h) emits the
 * `.livepatch_helpers.*` sections; patches written for kpatch emit the `.kpatch.*` ones through
 * kpatch-macros.h. Both are understood.
 */
export type CallbackHook = 'pre_patch' | 'post_patch' | 'pre_unpatch' | 'post_unpatch';

export const CALLBACK_HOOKS: readonly CallbackHook[] = ['pre_patch', 'post_patch', 'pre_unpatch', 'post_unpatch'];

export type MarkerKind = 'callback' | 'ignore-function' | 'ignore-section' | 'force';

export interface MarkerSection {
  readonly name: string;
  readonly kind: MarkerKind;
  readonly hook?: CallbackHook;
  /** Which macro set produces it. */
  readonly origin: 'livepatch_helpers' | 'kpatch';
}

const OWN_PREFIX = '.livepatch_helpers';
const KPATCH_PREFIX = '.kpatch';

function markerSet(prefix: string, origin: MarkerSection['origin']): MarkerSection[] {
  return [
    ...CALLBACK_HOOKS.map((hook) => ({ name: `${prefix}.callbacks.${hook}`, kind: 'callback' as const, hook, origin })),
    { name: `${prefix}.ignore.functions`, kind: 'ignore-function', origin },
    { name: `${prefix}.ignore.sections`, kind: 'ignore-section', origin },
    { name: `${prefix}.force`, kind: 'force', origin },
  ];
}

export const MARKER_SECTIONS: readonly MarkerSection[] = [
  ...markerSet(OWN_PREFIX, 'livepatch_helpers'),
  ...markerSet(KPATCH_PREFIX, 'kpatch'),
];

const byName = new Map(MARKER_SECTIONS.map((marker) => [marker.name, marker]));

/** The marker a (base or `.rela`) section name belongs to, if any. */
export function markerFor(sectionName: string): MarkerSection | undefined {
  const start = sectionName.startsWith('.rela.') ? '.rela'.length : 0;
  // Asked for every section and symbol: names of neither family are out without a slice or a hash.
  if (!sectionName.startsWith(OWN_PREFIX, start) && !sectionName.startsWith(KPATCH_PREFIX, start)) return undefined;
  return byName.get(start === 0 ? sectionName : sectionName.slice(start));
}

/** Whether `name` starts with one of `prefixes` (a loop, not `some`: called per section or symbol). */
export function startsWithAny(name: string, prefixes: readonly string[]): boolean {
  for (let i = 0; i < prefixes.length; i++) if (name.startsWith(prefixes[i]!)) return true;
  return false;
}

/** Prefixes of helper symbols the macros define next to the marker data. */
export const MARKER_SYMBOL_PREFIXES: readonly string[] = [
  '__kpatch_ignore_func_',
  '__UNIQUE_ID_kpatch_ignore_section_',
  '__kpatch_force_func_',
  '__livepatch_helpers_',
];

/** Sections the kernel's linker script throws away; changes there do not matter. */
export const DISCARDED_SECTION_PREFIXES: readonly string[] = ['.discard', '.rela.discard'];
