/**
 * Refusal categories, so that a batch of patches can be counted by why they were refused: one
 * table, reason text → category, first rule that matches wins. The differ and the pipeline name
 * the file, function or section in the reason; the category names the rule.
 */
const RULES: ReadonlyArray<readonly [string, RegExp]> = [
  ['path-policy', /changes what a livepatch cannot/],
  ['init-code', /__init|\.init\.(text|data)|init code|\.exit\.text/i],
  ['no-ftrace-entry', /no ftrace entry/],
  ['data-size-changed', /changed size/],
  ['existing-data', /existing data cannot be replaced|symbol \S+ moved from section|data section .* selected for inclusion|changed section \.rela\.(ro)?data\S* not selected/],
  ['static-call-module-key', /static call at .* uses key .* which module \S+ owns/],
  ['static-key-in-module', /static key|jump[ _]label|__jump_table/i],
  ['symbol-changed', /symbol \S+ changed its (type|binding)|now defined here|no longer defined here/],
  ['shared-text-section', /which holds several functions/],
  ['section-group', /section group/],
  ['section-not-selected', /not selected for inclusion/],
  ['unexported-symbol', /does not export|nor exported by any module/],
  ['ambiguous-symbol', /several static symbols|cannot tell which/],
  ['callbacks', /callbacks for/],
  ['modversions-crc', /CRC/],
  ['static-local', /static local/i],
  ['kpatch-marker', /is not supported: in kpatch/],
  ['config', /CONFIG_\w+.*(refused|cannot)/],
];

export function refusalCategory(reason: string): string {
  for (const [name, rule] of RULES) if (rule.test(reason)) return name;
  return 'other';
}
