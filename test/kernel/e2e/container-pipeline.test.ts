import { describe, expect, it } from 'vitest';
import { selectRunner } from '../../../src/toolchain/container/select-runner.js';
import { boot, buildLivepatch, load, unload } from './harness.js';

// The same pipeline with the kernel builds in a podman container (the default runner where
// podman works): the module must be as good as a host-built one.
describe('pipeline with the builds in a container', () => {
  it('builds the livepatch inside podman and it patches the running kernel', async () => {
    const runner = await selectRunner('podman', (line) => process.stderr.write(`  [podman] ${line}\n`));
    expect(runner.kind).toBe('podman');
    const { ko, report } = await buildLivepatch('two-files', { name: 'livepatch-in-podman', runner });
    expect(report.runner).toMatch(/podman/);
    expect(report.objects.flatMap((o) => o.changedFunctions).sort()).toEqual([
      'loadavg_proc_show',
      'version_proc_show',
    ]);
    const vm = await boot(
      [ko],
      `${load(ko)}
      report version "$(tail -n 1 /proc/version)"
      report loadavg "$(tail -n 1 /proc/loadavg)"
      ${unload(ko)}`,
    );
    expect(vm.values['version']).toBe('two-files: version');
    expect(vm.values['loadavg']).toBe('two-files: loadavg');
    expect(vm.values['unload']).toBe('0');
  });
});
