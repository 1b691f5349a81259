// Refusal categories, derived from the reason text of the tool's refusal (exit 2). The --json
// report of the tool has no machine-readable category (and is not printed on a refusal), so the
// corpus derives one; the first rule that matches wins.
const RULES: ReadonlyArray<[string, RegExp]> = [
  ['path-policy', /changes what a livepatch cannot/],
  ['init-code', /__init|\.init\.(text|data)|init code|\.exit\.text/i],
  ['no-ftrace-entry', /no ftrace entry/],
  ['data-size-changed', /changed size/],
  ['existing-data', /existing data cannot be replaced|data section .* selected for inclusion|changed section \.rela\.(ro)?data\S* not selected/],
  ['static-call-module-key', /static call at .* uses key .* which module \S+ owns/],
  ['static-key-in-module', /static key|jump[ _]label|__jump_table/i],
  ['section-group', /section group/],
  ['section-not-selected', /not selected for inclusion/],
  ['unexported-symbol', /does not export|nor exported by any module/],
  ['ambiguous-symbol', /several static symbols/],
  ['callbacks', /callbacks for/],
  ['modversions-crc', /CRC/],
  ['static-local', /static local/i],
  ['kpatch-marker', /is not supported: in kpatch/],
];

export function refusalCategory(text: string): string {
  for (const [name, rule] of RULES) if (rule.test(text)) return name;
  return 'other';
}

/** The reason lines of a refusal message ("the patch cannot be live-patched safely:\n  ..."). */
export function refusalReasons(stderr: string): string[] {
  const lines = stderr.split('\n');
  const start = lines.findIndex((l) => /^tsbuild-patch: /.test(l));
  if (start < 0) return [];
  const out = [lines[start]!.replace(/^tsbuild-patch: /, '')];
  for (const line of lines.slice(start + 1)) {
    if (/^\s{2,}\S/.test(line)) out.push(line.trim());
    else break;
  }
  return out.length > 1 ? out.slice(1) : out;
}
