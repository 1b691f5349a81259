// The markdown summary of a corpus run: outcome per class, refusals by category and reason,
// needs-header, tool errors and failed loads with their reproduction.
import type { Manifest } from './manifest.js';
import { finalOutcome, type PatchResult } from './results.js';

const CLASSES = ['bodies', 'new-functions', 'data', 'init', 'headers'];
const OUTCOMES = [
  'built-and-loaded',
  'refused',
  'no-change',
  'needs-header',
  'target-unavailable',
  'load-failed',
  'tool-error',
] as const;

export function summarize(
  manifest: Manifest,
  measured: readonly PatchResult[],
  info: { seed: number; command: string; head: string },
): string {
  // Outcomes derived again from what was measured: the rules may have grown since the run.
  const results = measured.map((r) => ({ ...r, outcome: finalOutcome(r.build, r.vm) }));
  const out: string[] = [];
  out.push(
    Number.isNaN(info.seed)
      ? `Results of ${info.command}, ${new Date().toISOString()}.`
      : `Run: \`${info.command}\` (seed ${info.seed}, tool at ${info.head}), ${new Date().toISOString()}.`,
    '',
  );
  out.push(
    '| class | corpus | sampled | built and loaded | refused | no change | needs header | target unavailable | load failed | tool error | coverage¹ |',
  );
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const cls of CLASSES) {
    const rs = results.filter((r) => r.class === cls);
    const n = (o: string) => rs.filter((r) => r.outcome === o).length;
    const eligible = rs.length - n('needs-header') - n('no-change') - n('target-unavailable');
    const coverage =
      eligible > 0
        ? `${((100 * n('built-and-loaded')) / eligible).toFixed(0)}% (${n('built-and-loaded')}/${eligible})`
        : '-';
    out.push(
      `| ${cls} | ${manifest.counts[cls] ?? 0} | ${rs.length} | ${OUTCOMES.map((o) => n(o)).join(' | ')} | ${coverage} |`,
    );
  }
  out.push('', '¹ built and loaded / (sampled − needs header − no change − target unavailable).', '');
  const refused = results.filter((r) => r.outcome === 'refused');
  if (refused.length > 0) {
    out.push('### Refusals by category', '');
    const byCat = new Map<string, PatchResult[]>();
    for (const r of refused) {
      const cat = r.build.category ?? 'other'; // as the tool reported it (runs older than the categories have none)
      byCat.set(cat, [...(byCat.get(cat) ?? []), r]);
    }
    for (const [cat, rs] of [...byCat].sort((a, b) => b[1].length - a[1].length)) {
      out.push(`- **${cat}** (${rs.length})`);
      for (const r of rs)
        out.push(`  - \`${r.file}\` (${r.class}): ${(r.build.reasons ?? []).slice(0, 2).join('; ').slice(0, 300)}`);
    }
    out.push('');
  }
  const section = (title: string, rs: PatchResult[], detail: (r: PatchResult) => string) => {
    if (rs.length === 0) return;
    out.push(`### ${title}`, '');
    for (const r of rs) out.push(`- \`${r.file}\` (${r.class}, ${r.target}): ${detail(r)}`);
    out.push('');
  };
  const noTarget = results.filter(
    (r) => r.outcome === 'built-and-loaded' && r.vm && Object.values(r.vm.targetsLoaded).some((loaded) => !loaded),
  );
  section(
    'Built and loaded, but the target module did not load in the guest (the livepatch waits for it; its functions were not switched)',
    noTarget,
    (r) => {
      const missing = Object.entries(r.vm!.targetsLoaded)
        .filter(([, loaded]) => !loaded)
        .map(([t]) => t);
      const why =
        r
          .vm!.log.split('\n')
          .find((l) => missing.some((t) => l.includes(`${t}:`)) || /Unknown symbol/.test(l))
          ?.replace(/^\[[^\]]*\]\s*/, '') ?? 'module init failed (no device?)';
      return `${missing.join(', ')}: ${why.slice(0, 160)}`;
    },
  );
  // What the built livepatches carry differently from the fix, by kind (the report's notes).
  const KINDS: Array<[string, RegExp]> = [
    ['a tracepoint of the module stays off in the patched function', /tracepoint \S+ stays off/],
    ['dynamic-debug prints cannot be enabled in the patched function', /dynamic-debug prints/],
    ['a new export is not exported by the livepatch', /^[^:]+: new exports? /],
    ['a dropped export stays exported', /dropped by the patch/],
    ['a read-only static local is no longer used', /read-only static local/],
  ];
  const noted = results.filter(
    (r) => r.outcome === 'built-and-loaded' && (r.build.notes ?? []).some((n) => KINDS.some(([, re]) => re.test(n))),
  );
  if (noted.length > 0) {
    out.push('### Built and loaded, with a note on what the livepatch carries differently', '');
    for (const [kind, re] of KINDS) {
      const rs = noted.filter((r) => (r.build.notes ?? []).some((n) => re.test(n)));
      if (rs.length > 0) out.push(`- ${kind} (${rs.length}): ${rs.map((r) => `\`${r.file}\``).join(', ')}`);
    }
    out.push('');
  }
  section(
    "Warnings while the image's own modules loaded, before the livepatch (not counted against it)",
    results.filter((r) => (r.vm?.environment ?? []).length > 0),
    (r) =>
      r
        .vm!.environment!.map((l) => l.replace(/^\[[^\]]*\]\s*/, ''))
        .join(' | ')
        .slice(0, 240),
  );
  section(
    'Needs a header change (not a tool failure)',
    results.filter((r) => r.outcome === 'needs-header'),
    (r) => (r.build.detail ?? '').split('\n')[0]!.slice(0, 240),
  );
  section(
    'No functional change',
    results.filter((r) => r.outcome === 'no-change'),
    (r) => (r.build.reasons ?? []).join(' ').slice(0, 200),
  );
  section(
    'Built, but a target module cannot load in qemu at all (the livepatch needs its exports): not provable here',
    results.filter((r) => r.outcome === 'target-unavailable'),
    (r) =>
      `${Object.entries(r.vm!.targetsLoaded)
        .filter(([, loaded]) => !loaded)
        .map(([t]) => t)
        .join(', ')}: ${
        r
          .vm!.log.split('\n')
          .find((l) => /Unknown symbol|init failed|No such device/.test(l))
          ?.replace(/^\[[^\]]*\]\s*/, '')
          .slice(0, 160) ?? ''
      }`,
  );
  section(
    'Load failures (tool bugs)',
    results.filter((r) => r.outcome === 'load-failed'),
    (r) => (r.vm?.problems ?? ['not tested in a VM']).join('; ').slice(0, 400),
  );
  section(
    'Tool errors (tool bugs)',
    results.filter((r) => r.outcome === 'tool-error'),
    (r) =>
      `\`${r.build.command}\`: ${(r.build.detail ?? '').split('\n').filter(Boolean).slice(-3).join(' / ').slice(0, 400)}`,
  );
  const built = results.filter((r) => r.build.outcome === 'built' || r.build.outcome === 'refused');
  if (built.length > 0) {
    const secs = built.map((r) => r.build.seconds).sort((a, b) => a - b);
    out.push(
      `Tool time per patch (built or refused; each patch's own time in its batch, two building at once): median ${secs[Math.floor(secs.length / 2)]!.toFixed(0)} s, max ${secs[secs.length - 1]!.toFixed(0)} s.`,
      '',
    );
  }
  return out.join('\n');
}
