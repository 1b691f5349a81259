// One corpus patch through `tsbuild-patch PATCH --kernel RELEASE --json`, under the shared
// heavy lock, and what came of it.
import { createHash } from 'node:crypto';
import { mkdirSync } from 'node:fs';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { execa } from 'execa';
import type { RunReport } from '../../src/report/run-report.js';
import { cacheRoot } from '../../src/util/cache.js';
import { refusalCategory, refusalReasons } from './categories.js';
import type { CorpusEntry } from './manifest.js';
import { corpusDir, RELEASE } from './paths.js';

/**
 * The lock every kernel build and VM run on this machine shares (two never run at once on two
 * cores): TSBUILD_PATCH_HEAVY_LOCK, else heavy.lock under the tool's cache.
 */
export const HEAVY_LOCK = process.env.TSBUILD_PATCH_HEAVY_LOCK ?? join(cacheRoot(), 'heavy.lock');
mkdirSync(dirname(HEAVY_LOCK), { recursive: true }); // flock creates the file, not its folder
/**
 * The tool under test: TSBUILD_PATCH_BIN (e.g. a built snapshot of one commit, so that a long
 * run is not disturbed by others rebuilding dist/), else this checkout's bin/ (dist/ built).
 */
export const TOOL_BIN = process.env.TSBUILD_PATCH_BIN ?? resolve(import.meta.dirname, '../../bin/tsbuild-patch.js');

export type BuildOutcome = 'built' | 'refused' | 'no-change' | 'needs-header' | 'tool-error';

export interface BuildResult {
  id: string;
  outcome: BuildOutcome;
  exitCode: number | undefined;
  /** The tool's run time (from when the lock was held), and the wait for the lock before it. */
  seconds: number;
  waited: number;
  module?: string;
  ko?: string;
  /** The report's patched functions per target object ('vmlinux' or a module). */
  functions?: Record<string, string[]>;
  category?: string;
  reasons?: string[];
  /** For needs-header and tool errors: the first compiler errors or the message. */
  detail?: string;
  command: string;
}

/** A module name per corpus entry, stable across runs (sysfs shows it with '_'). */
export const moduleNameFor = (id: string) => `lpc-${createHash('sha1').update(id).digest('hex').slice(0, 10)}`;

/** Compiler errors of a failed patched build (the patched file against the unpatched headers). */
function compileErrors(stderr: string): string[] {
  return stderr.split('\n').filter((l) => /(error|Error \d):/.test(l) && !/^tsbuild-patch:/.test(l)).slice(0, 4);
}

/** LOCK false: the caller already holds the shared heavy lock (a kernel test run under flock). */
export async function buildOne(entry: Pick<CorpusEntry, 'id' | 'patch'>, outDir: string, options: { lock?: boolean; timeoutMs?: number } = {}): Promise<BuildResult> {
  const timeoutMs = options.timeoutMs ?? 15 * 60_000;
  const patch = isAbsolute(entry.patch) ? entry.patch : join(corpusDir(), entry.patch);
  const name = moduleNameFor(entry.id);
  const ko = join(outDir, `${name}.ko`);
  // The time limit is the tool's own (inside the lock): waiting for the lock is not counted.
  // The tool's own time starts when the lock is held (a marker line on stderr).
  const tool = ['sh', '-c', 'echo "@@locked $(date +%s%N)" >&2; exec "$@"', 'sh', 'timeout', '-k', '10', String(Math.round(timeoutMs / 1000)), 'node', TOOL_BIN, patch, '--kernel', RELEASE, '--container', 'none', '--json', '--name', name, '-o', ko];
  const [file, ...args] = options.lock === false ? tool : ['flock', HEAVY_LOCK, ...tool];
  const command = [file, ...args].join(' ');
  const started = Date.now();
  const result = await execa(file!, args, { reject: false, maxBuffer: 1 << 26, env: { NO_COLOR: '1' } });
  const locked = /^@@locked (\d+)$/m.exec(result.stderr)?.[1];
  const seconds = (Date.now() - (locked ? Number(BigInt(locked) / 1_000_000n) : started)) / 1000;
  const base = { id: entry.id, exitCode: result.exitCode, seconds, waited: locked ? Number(BigInt(locked) / 1_000_000n) / 1000 - started / 1000 : 0, command };
  const stderr = result.stderr.replace(/^@@locked \d+\n/m, '');
  if (result.exitCode === 124 || result.exitCode === 137) return { ...base, outcome: 'tool-error', detail: `timed out after ${timeoutMs / 1000} s\n${stderr.slice(-2000)}` };
  if (/ERR_MODULE_NOT_FOUND/.test(stderr)) throw new Error(`the tool is not built (${TOOL_BIN}): ${stderr.slice(0, 300)}`);
  if (/internal error|^\s+at .*\(.*:\d+:\d+\)$/m.test(stderr)) return { ...base, outcome: 'tool-error', detail: stderr.slice(-4000) };
  switch (result.exitCode) {
    case 0: {
      const report = JSON.parse(result.stdout) as RunReport;
      const functions: Record<string, string[]> = {};
      for (const object of report.objects) {
        if (object.outcome !== 'changed') continue;
        (functions[object.target] ??= []).push(...object.changedFunctions);
      }
      return { ...base, outcome: 'built', module: name.replace(/-/g, '_'), ko, functions };
    }
    case 2: {
      const reasons = refusalReasons(stderr);
      return { ...base, outcome: 'refused', reasons, category: refusalCategory(reasons.join('\n')) };
    }
    case 3:
      return { ...base, outcome: 'no-change', reasons: refusalReasons(stderr) };
    default: {
      // The per-file patch of a commit that also changed a header: the patched object does not
      // compile against the unpatched headers (the original compiled, the patched did not).
      if (/patched build failed/.test(stderr)) return { ...base, outcome: 'needs-header', detail: compileErrors(stderr).join('\n') || stderr.slice(-1500) };
      return { ...base, outcome: 'tool-error', detail: stderr.slice(-4000) };
    }
  }
}
