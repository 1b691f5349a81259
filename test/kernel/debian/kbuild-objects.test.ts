/**
 * Objects as kbuild really builds them, on Debian 12's newest kernel: a fix in
 * kernel/sched/rt.c, a C file the kernel compiles only inside kernel/sched/build_policy.c, is
 * built as build_policy.o, loaded, seen in sysfs as build_policy's function (print_rt_stats)
 * and seen running, then unloaded.
 */
import { fileURLToPath } from 'node:url';
import { describe, it } from 'vitest';
import { bootCases, includedSourceCase } from '../distribution-cases.js';
import { debianReleases } from './releases.js';

const RT = fileURLToPath(new URL('../../patches/debian/sched-rt-print-stats.patch', import.meta.url));
const [NEWEST] = await debianReleases();

describe(`Debian's kernel ${NEWEST}: objects as kbuild builds them`, () => {
  it('a fix in kernel/sched/rt.c, #included by build_policy.c: patched in build_policy.o, loaded, seen in sysfs and running', async () => {
    const options = { kernel: NEWEST };
    await bootCases([await includedSourceCase(RT, options)], options);
  });
});
