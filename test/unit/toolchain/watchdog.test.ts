import { execa } from 'execa';
import { afterEach, describe, expect, it } from 'vitest';
import { WATCHDOG_SCRIPT, watchedCommand } from '../../../src/toolchain/container/watchdog.js';

// The watchdog is plain sh: its behaviour is checked here with the host's sh. In a container it
// is PID 1, whose exit also kills what it started; here the started process group is killed
// after each test instead.
const groups: number[] = [];
afterEach(() => {
  for (const pid of groups.splice(0)) {
    try {
      process.kill(-pid, 'SIGKILL');
    } catch {
      /* already gone */
    }
  }
});

function watch(file: string, args: string[]) {
  const [sh, ...rest] = watchedCommand(file, args);
  const child = execa(sh!, rest, { stdin: 'pipe', reject: false, detached: true });
  if (child.pid) groups.push(child.pid);
  return child;
}

describe('watchdog', () => {
  it('is run as sh -c with the command after $0', () => {
    expect(watchedCommand('make', ['-C', '/t', 'a b'])).toEqual([
      'sh',
      '-c',
      WATCHDOG_SCRIPT,
      'tsbuild-patch-watchdog',
      'make',
      '-C',
      '/t',
      'a b',
    ]);
  });

  it('passes arguments unchanged and returns the command status', async () => {
    const result = await watch('sh', ['-c', 'printf "%s|" "$@"; exit 7', 'x', 'a b', '$HOME', '']);
    expect(result.stdout).toBe('a b|$HOME||');
    expect(result.exitCode).toBe(7);
  });

  it('gives the command /dev/null as stdin', async () => {
    const child = watch('sh', ['-c', 'cat; echo done']);
    child.stdin.write('should not be read\n');
    const result = await child;
    expect(result.stdout).toBe('done');
    expect(result.exitCode).toBe(0);
  });

  it('exits as soon as its stdin closes, while the command still runs', async () => {
    // The command's output goes elsewhere: outside a container it outlives the watchdog.
    const child = watch('sh', ['-c', 'exec sleep 30 >/dev/null 2>&1']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    child.stdin.end();
    const result = await child;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.exitCode).toBe(143);
  });

  it('exits on TERM', async () => {
    // The command's output goes elsewhere: outside a container it outlives the watchdog.
    const child = watch('sh', ['-c', 'exec sleep 30 >/dev/null 2>&1']);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const started = Date.now();
    child.kill('SIGTERM');
    const result = await child;
    expect(Date.now() - started).toBeLessThan(5000);
    expect(result.exitCode).toBe(143);
  });
});
