// The markdown summary of a corpus run: outcome per class (loaded apart from exercised: the
// patched code seen to run), refusals by category and reason, needs-header, flaky patches, tool
// errors and failed loads with their reproduction.
import { describeCalls } from '../../src/report/exercise.js';
import type { Manifest } from './manifest.js';
import { finalOutcome, patchClass, targetsMissing, type PatchClass, type PatchResult } from './results.js';

const CLASSES = ['bodies', 'new-functions', 'data', 'init', 'headers'];
const OUTCOMES: readonly PatchClass[] = [
  'built-loaded-exercised',
  'built-and-loaded',
  'flaky',
  'refused',
  'no-change',
  'needs-header',
  'target-unavailable',
  'load-failed',
  'tool-error',
];
const LOADED: readonly PatchClass[] = ['built-loaded-exercised', 'built-and-loaded'];

/** A patch with what its attempts come to. */
type Classified = Omit<PatchResult, 'outcome'> & { outcome: PatchClass };

export function summarize(
  manifest: Manifest,
  measured: readonly PatchResult[],
  info: { seed: number; command: string; head: string },
): string {
  // Outcomes derived again from what was measured (the rules may have grown since the run), and
  // from every attempt at a patch (a failure, then a pass on retry: flaky).
  const results: Classified[] = measured.map((r) => ({ ...r, outcome: patchClass(r) }));
  const out: string[] = [];
  out.push(
    Number.isNaN(info.seed)
      ? `Results of ${info.command}, ${new Date().toISOString()}.`
      : `Run: \`${info.command}\` (seed ${info.seed}, tool at ${info.head}), ${new Date().toISOString()}.`,
    '',
  );
  out.push(
    '| class | corpus | sampled | built, loaded, exercised | built, loaded, not exercised | flaky | refused | no change | needs header | target unavailable | load failed | tool error | loaded¹ | exercised¹ |',
  );
  out.push('| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |');
  for (const cls of CLASSES) {
    const rs = results.filter((r) => r.class === cls);
    const n = (o: PatchClass) => rs.filter((r) => r.outcome === o).length;
    const eligible = rs.length - n('needs-header') - n('no-change') - n('target-unavailable');
    const share = (k: number) => (eligible > 0 ? `${((100 * k) / eligible).toFixed(0)}% (${k}/${eligible})` : '-');
    const loaded = n('built-loaded-exercised') + n('built-and-loaded');
    out.push(
      `| ${cls} | ${manifest.counts[cls] ?? 0} | ${rs.length} | ${OUTCOMES.map((o) => n(o)).join(' | ')} | ${share(loaded)} | ${share(n('built-loaded-exercised'))} |`,
    );
  }
  out.push(
    '',
    '¹ of (sampled − needs header − no change − target unavailable); loaded: built and loaded, exercised or not (flaky ones are not counted); exercised: every patched function called while the livepatch was applied, under the workload of its subsystem.',
    '',
  );
  const refused = results.filter((r) => r.outcome === 'refused');
  if (refused.length > 0) {
    out.push('### Refusals by category', '');
    const byCat = new Map<string, Classified[]>();
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
  const section = (title: string, rs: Classified[], detail: (r: Classified) => string) => {
    if (rs.length === 0) return;
    out.push(`### ${title}`, '');
    for (const r of rs) out.push(`- \`${r.file}\` (${r.class}, ${r.target}): ${detail(r)}`);
    out.push('');
  };
  const loaded = results.filter((r) => LOADED.includes(r.outcome));
  if (loaded.length > 0) {
    out.push('### Exercised while patched, by workload', '');
    const byWorkload = new Map<string, typeof loaded>();
    for (const r of loaded) {
      const workload = r.vm?.workload ?? 'not recorded';
      byWorkload.set(workload, [...(byWorkload.get(workload) ?? []), r]);
    }
    for (const [workload, rs] of [...byWorkload].sort((a, b) => b[1].length - a[1].length)) {
      const exercised = rs.filter((r) => r.outcome === 'built-loaded-exercised').length;
      out.push(`- ${workload}: ${exercised} of ${rs.length} exercised`);
    }
    out.push('');
  }
  section(
    'Built and loaded, not exercised (a patched function not seen to run, or not counted)',
    results.filter((r) => r.outcome === 'built-and-loaded'),
    (r) => {
      const e = r.vm?.exercise;
      if (!e) return `workload ${r.vm?.workload ?? 'none'}: no calls counted`;
      return `workload ${r.vm!.workload}: ${e.verdict} (${e.functions.map(describeCalls).join('; ')})`.slice(0, 400);
    },
  );
  section(
    'Flaky (a failure, then a pass on retry: not counted as loaded)',
    results.filter((r) => r.outcome === 'flaky'),
    (r) =>
      [...(r.earlier ?? []), r]
        .map((a) => {
          const outcome = finalOutcome(a.build, a.vm);
          return a.vm && !a.vm.loaded ? `${outcome} (${a.vm.problems.join('; ').slice(0, 160)})` : outcome;
        })
        .join(', then '),
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
    (r) => LOADED.includes(r.outcome) && (r.build.notes ?? []).some((n) => KINDS.some(([, re]) => re.test(n))),
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
    'Built, but a target module does not load in qemu (no device, or a hypervisor it needs): the livepatch failed to load for want of its exports, or loaded with its functions never switched; not provable here',
    results.filter((r) => r.outcome === 'target-unavailable'),
    (r) => {
      const missing = targetsMissing(r.vm!);
      const why =
        r
          .vm!.log.split('\n')
          .find((l) => missing.some((t) => l.includes(`${t}:`)) || /Unknown symbol|init failed|No such device/.test(l))
          ?.replace(/^\[[^\]]*\]\s*/, '')
          .slice(0, 160) ?? 'module init failed (no device?)';
      return `${missing.join(', ')}: ${why}`;
    },
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
