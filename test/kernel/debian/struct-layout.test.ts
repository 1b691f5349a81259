/**
 * A patch that adds a member in the middle of a struct the running kernel's data has is refused
 * on Debian 12's newest kernel, through the CLI's --json: fs/proc/base.c's struct
 * timers_private (allocated when /proc/<pid>/timers is opened, read by its seq_file functions)
 * gets a member after `pid`, so every later member moves. The DWARF of the original and the
 * patched fs/proc/base.o (Debian's gcc 12, -g) shows the change; the refusal names the object,
 * the type, the member and the functions, with category struct-layout-changed. Uses the built
 * CLI (bin/tsbuild-patch.js runs dist/: `npm run build` first).
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir as tmpDir } from 'tmp-promise';
import { describe, expect, it } from 'vitest';
import { loadSchemas } from '../../support/json-contract.js';
import { PATCHES } from '../e2e/harness.js';
import { debianReleases } from './releases.js';

const [NEWEST] = await debianReleases();
const BIN = fileURLToPath(new URL('../../../bin/tsbuild-patch.js', import.meta.url));
const PATCH = join(PATCHES, 'debian/proc-timers-struct-layout.patch');

interface FailureDocument {
  outcome: string;
  exitCode: number;
  message: string;
  reasons: { object: string; reason: string; category: string }[];
}

describe('a struct layout changed by a patch', () => {
  it(`Debian ${NEWEST}: a member added in the middle of struct timers_private is refused (struct-layout-changed)`, async () => {
    const { path: dir, cleanup } = await tmpDir({ unsafeCleanup: true });
    const started = performance.now();
    const run = await execa(
      'node',
      [BIN, PATCH, '--kernel', NEWEST!, '--container', 'none', '-o', join(dir, 'livepatch-timers.ko'), '--json'],
      { reject: false },
    );
    process.stderr.write(`  [struct-layout] refused in ${((performance.now() - started) / 1000).toFixed(1)} s\n`);
    const document = JSON.parse(String(run.stdout)) as FailureDocument;
    const { ajv, validators } = await loadSchemas();
    const validate = validators.get('failure')!;
    expect(validate(document), ajv.errorsText(validate.errors)).toBe(true);
    expect(run.exitCode).toBe(2);
    expect(document).toMatchObject({ outcome: 'refused', exitCode: 2 });
    expect(document.reasons.map((r) => [r.object, r.category])).toEqual([['fs/proc/base.o', 'struct-layout-changed']]);
    const reason = document.reasons[0]!.reason;
    expect(reason).toMatch(
      /^struct timers_private changed layout \(member 'generation' added at offset 8; member 'task' moved from offset 8 to 16; .*size 40 -> 48\), used by /,
    );
    expect(reason).toMatch(/, used by .*\b(timers_start|timers_next|timers_stop|show_timer|proc_timers_open)\(\)/);
    expect(reason).toMatch(
      /existing kernel data keeps the old layout; use a shadow variable \(klp_shadow_\*\) instead$/,
    );
    expect(document.message).toContain(`fs/proc/base.o: ${reason}`);
    // Refused: no module written.
    expect(existsSync(join(dir, 'livepatch-timers.ko'))).toBe(false);
    await cleanup();
  });
});
