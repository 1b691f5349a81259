import { readFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { describe, expect, it } from 'vitest';
import { CRASH_GUARD_UNITS, STORE, UNIT_NAME } from '../../../src/deploy/package/layout.js';

// tsbuild-patch-ctl's command line (exit status 2 for usage errors, as its usage says) and the
// unit's start timeout against the loader's own waits. Runs under dash, as on Debian.
const RUNTIME = fileURLToPath(new URL('../../../runtime/', import.meta.url));
const CTL = `${RUNTIME}tsbuild-patch-ctl`;

async function ctl(args: string[], env: Record<string, string> = {}) {
  const result = await execa('dash', [CTL, ...args], {
    reject: false,
    env: {
      TSBP_SYSFS: '/nonexistent',
      TSBP_STORE: '/nonexistent',
      TSBP_RELEASE: '6.1.0-57-amd64',
      TSBP_CONFIG: '/nonexistent',
      ...env,
    },
  });
  return { code: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
}

describe('tsbuild-patch-ctl usage errors exit 2', () => {
  it.each([
    [[]],
    [['frobnicate']],
    [['load']],
    [['load', '--bogus', 'x.ko']],
    [['load', '--timeout']],
    [['load', '--timeout', 'soon', 'x.ko']],
    [['load', '--timeout=1.5', 'x.ko']],
    [['unload', '--frobnicate', 'x']],
    [['unload', 'a', 'b']],
    [['signal']],
    [['list', 'extra']],
    [['install', '--release']],
    [['install', '--release', '../etc', 'x.ko']],
    [['uninstall', '--nope', 'x']],
    [['load-installed', 'extra']],
    [['rollback']],
    [['rollback', 'a', 'b']],
    [['rollback', '--bogus', 'a']],
    [['rollback', 'Bad_Name']],
    [['remove-stream']],
    [['remove-stream', 'a--b']],
    [['timeouts', 'extra']],
    [['mark-good', '--soon']],
    [['mark-good', '--wait', 'extra']],
    [['clear-crash-guard', 'a', 'b']],
    [['clean-shutdown', 'extra']],
  ])('%j', async (args) => {
    const result = await ctl(args);
    expect(result.code).toBe(2);
    expect(result.stderr).toMatch(/usage: tsbuild-patch-ctl|Run 'tsbuild-patch-ctl --help'/);
  });

  it('errors that are not usage errors still exit 1, and --help exits 0 naming the exit statuses', async () => {
    expect((await ctl(['load', '/nonexistent/x.ko'])).code).toBe(1);
    const help = await ctl(['--help']);
    expect(help.code).toBe(0);
    expect(help.stdout).toContain('2 usage error');
  });
});

const unitField = (unit: string, name: string) =>
  [...unit.matchAll(new RegExp(`^${name}=(.*)$`, 'gm'))].map((m) => m[1]!.trim());

describe('tsbuild-patch.service', () => {
  it("covers one stalled module's load at boot (the loader's own waits) and names its manual page", async () => {
    const unit = await readFile(`${RUNTIME}tsbuild-patch.service`, 'utf8');
    expect(unitField(unit, 'Documentation')).toEqual(['man:tsbuild-patch-ctl(8)']);
    expect(unitField(unit, 'ExecStart')).toEqual(['/usr/sbin/tsbuild-patch-ctl load-installed']);
    // Its Wants= starts the crash guard's units: its loads need not.
    expect(unitField(unit, 'Environment')).toEqual(['TSBP_UNIT=1']);
    // The loader's waits, from its own constants (the unit does not set TSBP_TIMEOUT).
    expect(unit).not.toMatch(/TSBP_TIMEOUT/);
    const timeouts = Object.fromEntries(
      (await ctl(['timeouts'])).stdout
        .trim()
        .split('\n')
        .map((l) => l.split(' ') as [string, string])
        .map(([k, v]) => [k, Number(v)]),
    );
    expect(timeouts['load-worst-case']).toBe(timeouts['transition']! + 2 * timeouts['revert']!);
    const [start] = unitField(unit, 'TimeoutStartSec');
    expect(start).toMatch(/^\d+$/);
    const seconds = Number(start);
    // Above systemd's 90 s default and the loader's bound with a quarter to spare for the waits'
    // per-tick process overhead, insmod and rmmod; not so far above that a hung boot waits for long.
    expect(timeouts['load-worst-case']).toBeGreaterThan(90);
    expect(seconds).toBeGreaterThanOrEqual(timeouts['load-worst-case']! * 1.25);
    expect(seconds).toBeLessThanOrEqual(timeouts['load-worst-case']! * 2);
  });

  it("the loader's bound follows its timeout (the revert waits at least past the kernel's own signal)", async () => {
    const bound = async (timeout: string) =>
      Number(/load-worst-case (\d+)/.exec((await ctl(['timeouts'], { TSBP_TIMEOUT: timeout })).stdout)![1]);
    expect(await bound('100')).toBe(300);
    expect(await bound('5')).toBe(5 + 2 * 20);
  });
});

describe("the crash guard's units", () => {
  const read = (unit: string) => readFile(`${RUNTIME}${unit}`, 'utf8');

  it('are started by tsbuild-patch.service, each naming the manual page', async () => {
    const service = await read(UNIT_NAME);
    expect(unitField(service, 'Wants').join(' ').split(/\s+/).sort()).toEqual(
      CRASH_GUARD_UNITS.filter((u) => u !== 'tsbuild-patch-mark-good.service'),
    );
    for (const unit of CRASH_GUARD_UNITS) {
      const text = await read(unit);
      expect(unitField(text, 'Documentation'), unit).toEqual(['man:tsbuild-patch-ctl(8)']);
      // Static: enabled and disabled with tsbuild-patch.service.
      expect(text, unit).not.toContain('[Install]');
    }
  });

  it('record a clean shutdown whether or not the loads succeeded, late, while /var/lib is mounted', async () => {
    const unit = await read('tsbuild-patch-clean-shutdown.service');
    expect(unitField(unit, 'ExecStop')).toEqual(['/usr/sbin/tsbuild-patch-ctl clean-shutdown']);
    expect(unitField(unit, 'RemainAfterExit')).toEqual(['yes']);
    expect(unitField(unit, 'DefaultDependencies')).toEqual(['no']);
    expect(unitField(unit, 'Before')).toEqual(['sysinit.target shutdown.target']);
    expect(unitField(unit, 'Conflicts')).toEqual(['shutdown.target']);
    expect(unitField(unit, 'RequiresMountsFor')).toEqual([STORE]);
  });

  it("mark the boot's loads good after the loader's default time, waiting for a longer setting", async () => {
    const timer = await read('tsbuild-patch-mark-good.timer');
    const service = await read('tsbuild-patch-mark-good.service');
    expect(unitField(timer, 'After')).toEqual([UNIT_NAME]);
    const defaults = (await ctl(['timeouts'])).stdout;
    expect(unitField(timer, 'OnActiveSec')).toEqual([/^crash-guard (\d+)$/m.exec(defaults)![1]]);
    expect(unitField(service, 'ExecStart')).toEqual(['/usr/sbin/tsbuild-patch-ctl mark-good --wait']);
    expect(unitField(service, 'Type')).toEqual(['oneshot']);
  });
});
