import { describe, expect, it } from 'vitest';
import { execa } from 'execa';
import { defaultScript, type DefaultScriptOptions } from '../../../src/vm/default-script.js';

const MODULES = ['/out/livepatch-first-fix.ko', 'build/livepatch_second.ko'];
/** The first module a livepatch of one function, the second none. */
const LIVEPATCHES = [
  [
    {
      object: 'vmlinux',
      functions: [{ name: 'cmdline_proc_show', sympos: 0, replacement: 'tsbp_new_cmdline_proc_show' }],
    },
  ],
  undefined,
];
const WORKLOAD = 'cat /proc/cmdline\nfalse\necho "workload $WHERE"';

describe('defaultScript', () => {
  it('loads the modules in order and unloads them in reverse, by their kernel names', () => {
    const lines = defaultScript(MODULES).split('\n');
    const at = (pattern: RegExp) => lines.findIndex((line) => pattern.test(line));
    expect(lines[0]).toBe('set -e');
    expect(lines).toContain('insmod ./livepatch-first-fix.ko');
    expect(lines).toContain('insmod ./livepatch_second.ko');
    expect(at(/^insmod \.\/livepatch-first-fix\.ko$/)).toBeLessThan(at(/^insmod \.\/livepatch_second\.ko$/));
    expect(lines).toContain('rmmod livepatch_first_fix');
    expect(lines).toContain('rmmod livepatch_second');
    expect(at(/^rmmod livepatch_second$/)).toBeLessThan(at(/^rmmod livepatch_first_fix$/));
    expect(lines.some((line) => /rmmod .*-/.test(line))).toBe(false);
    expect(lines.at(-2)).toBe('echo "all steps passed"');
  });

  it('waits for the transitions after loading and disables each livepatch before removing it', () => {
    const lines = defaultScript(MODULES).split('\n');
    const lastInsmod = lines.findIndex((line) => line === 'insmod ./livepatch_second.ko');
    const wait = lines.findIndex((line) => line.includes('klp_wait "$(basename $p)"'));
    expect(wait).toBeGreaterThan(lastInsmod);
    for (const name of ['livepatch_first_fix', 'livepatch_second']) {
      const disable = lines.findIndex((line) => line.includes(`klp_disable ${name};`));
      expect(disable, name).toBeGreaterThan(wait);
      expect(lines[disable]).toContain(`if [ -d /sys/kernel/livepatch/${name} ]`);
      expect(lines[disable]).toContain(`klp_wait_gone ${name}`);
      expect(lines.indexOf(`rmmod ${name}`)).toBeGreaterThan(disable);
    }
  });

  it("disables and removes a renamed module file by the name the kernel gives it (its .modinfo's)", () => {
    const lines = defaultScript(['/tmp/fix.ko'], { moduleNames: ['livepatch_proc_version_string'] }).split('\n');
    expect(lines).toContain('insmod ./fix.ko');
    expect(lines).toContain('rmmod livepatch_proc_version_string');
    expect(lines.some((line) => line.includes('klp_disable livepatch_proc_version_string;'))).toBe(true);
    expect(lines).not.toContain('rmmod fix');
  });

  it('is valid shell', async () => {
    await execa('sh', ['-n'], { input: defaultScript(MODULES) });
    await execa('sh', ['-n'], { input: defaultScript(MODULES, { livepatches: LIVEPATCHES, workload: WORKLOAD }) });
  });

  it("counts each livepatch's calls from its transition to its disable, around the state and the workload", () => {
    const lines = defaultScript(MODULES, { livepatches: LIVEPATCHES, workload: WORKLOAD }).split('\n');
    const at = (text: string) => lines.findIndex((line) => line.includes(text));
    // Only the livepatch is counted (the other module is none), by the symbols read from its file.
    expect(lines.filter((line) => line.includes('klp_count_start'))).toEqual([
      "if [ -d /sys/kernel/livepatch/livepatch_first_fix ]; then klp_count_start livepatch_first_fix 'vmlinux/cmdline_proc_show,1=tsbp_new_cmdline_proc_show'; fi",
    ]);
    expect(at('klp_count_start')).toBeGreaterThan(at('klp_wait "$(basename $p)"'));
    expect(at('klp_count_start')).toBeLessThan(at('+ livepatch state'));
    expect(at('cat /proc/cmdline')).toBeGreaterThan(at('lsmod'));
    expect(lines).toContain('klp_count_stop livepatch_first_fix');
    expect(at('klp_count_stop')).toBeGreaterThan(at('cat /proc/cmdline'));
    expect(at('klp_count_stop')).toBeLessThan(at('klp_disable livepatch_first_fix;'));
    expect(lines.some((line) => line.includes('klp_count_stop livepatch_second'))).toBe(false);
  });

  it('without what the files hold, asks the guest about every module (sysfs then names the functions)', () => {
    const lines = defaultScript(MODULES).split('\n');
    expect(lines).toContain(
      'if [ -d /sys/kernel/livepatch/livepatch_second ]; then klp_count_start livepatch_second; fi',
    );
    expect(lines).toContain('klp_count_stop livepatch_first_fix');
    expect(lines.some((line) => line.includes('workload'))).toBe(false);
  });

  /** Run the script with the guest's commands replaced by shell functions that say what they were asked. */
  const runWithStubs = (failing = '', options: DefaultScriptOptions = {}) =>
    execa(
      'sh',
      [
        '-c',
        [
          `insmod() { echo "CALL insmod $*"; [ "$1" != "${failing}" ]; }`,
          'rmmod() { echo "CALL rmmod $*"; }',
          'lsmod() { echo "CALL lsmod"; }',
          'klp_wait() { echo "CALL klp_wait $*"; }',
          'klp_disable() { echo "CALL klp_disable $*"; }',
          'klp_wait_gone() { echo "CALL klp_wait_gone $*"; }',
          'klp_count_start() { echo "CALL klp_count_start $*"; }',
          'klp_count_stop() { echo "CALL klp_count_stop $*"; }',
          'WHERE=guest',
          defaultScript(MODULES, options),
        ].join('\n'),
      ],
      { reject: false },
    );

  it('runs the steps in order and ends with the success line', async () => {
    const result = await runWithStubs();
    expect(result.exitCode).toBe(0);
    const calls = result.stdout.split('\n').filter((line) => line.startsWith('CALL ') && !line.includes('klp_'));
    expect(calls).toEqual([
      'CALL insmod ./livepatch-first-fix.ko',
      'CALL insmod ./livepatch_second.ko',
      'CALL lsmod',
      'CALL rmmod livepatch_second',
      'CALL rmmod livepatch_first_fix',
    ]);
    expect(result.stdout.trim().split('\n').at(-1)).toBe('all steps passed');
  });

  it('runs the workload as sh -c would (its failures do not stop it), then disables and unloads, then fails', async () => {
    const result = await runWithStubs('', { workload: 'false\necho "workload $WHERE"' });
    expect(result.stdout).toContain('+ workload\nworkload guest\n+ workload exit 0');
    const failing = await runWithStubs('', { workload: 'echo x; exit 3' });
    expect(failing.exitCode).toBe(1);
    const lines = failing.stdout.split('\n');
    expect(lines).toContain('+ workload exit 3');
    expect(lines).toContain('CALL rmmod livepatch_first_fix');
    expect(lines.at(-1)).toBe('the workload failed (exit 3)');
    expect(failing.stdout).not.toContain('all steps passed');
  });

  it('stops at the first step that fails', async () => {
    const result = await runWithStubs('./livepatch-first-fix.ko');
    expect(result.exitCode).not.toBe(0);
    expect(result.stdout).not.toContain('livepatch_second');
    expect(result.stdout).not.toContain('all steps passed');
  });
});
