import { mkdir, readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { execa } from 'execa';
import { dir } from 'tmp-promise';
import { afterEach, beforeEach } from 'vitest';

/**
 * tsbuild-patch-ctl against a fake machine: a fake sysfs, proc (boot id, uptime), store, /run
 * and /etc/default/tsbuild-patch in a temporary directory, with fake insmod/rmmod/modinfo/
 * systemctl first in PATH (see fake-bin/) that read "modules" made of key=value lines and log
 * what they were asked. Runs under dash, as on Debian.
 */
export const CTL = fileURLToPath(new URL('../../../runtime/tsbuild-patch-ctl', import.meta.url));
const FAKE_BIN = fileURLToPath(new URL('./fake-bin', import.meta.url));
export const RELEASE = '6.1.0-57-amd64';
export const VERMAGIC = `${RELEASE} SMP preempt mod_unload modversions `;
export const FIRST_BOOT = '0b5a8c6e-0000-4000-8000-000000000001';

export interface CtlResult {
  code: number | undefined;
  stdout: string;
  stderr: string;
}

interface Paths {
  root: string;
  sysfs: string;
  proc: string;
  store: string;
  /** Stands for /run: systemd "runs" the machine when it has systemd/system (systemdRuns). */
  run: string;
  config: string;
  log: string;
  cleanup: () => Promise<void>;
}

async function create(): Promise<Paths> {
  const root = await dir({ unsafeCleanup: true });
  const paths = {
    root: root.path,
    sysfs: join(root.path, 'sys'),
    proc: join(root.path, 'proc'),
    store: join(root.path, 'store'),
    run: join(root.path, 'run'),
    config: join(root.path, 'default-tsbuild-patch'),
    log: join(root.path, 'calls.log'),
    cleanup: async () => {
      await stopKernel(join(root.path, 'calls.log'));
      await root.cleanup();
    },
  };
  await mkdir(join(paths.proc, 'sys/kernel/random'), { recursive: true });
  await mkdir(paths.run, { recursive: true });
  await writeFile(paths.log, '');
  return paths;
}

/**
 * Stops the fake kernel's background loops (fake-bin/insmod) before the machine's files go:
 * a loop still writing a patch's files makes removing its directory fail (ENOTEMPTY).
 */
async function stopKernel(log: string): Promise<void> {
  const pids = (await readFile(`${log}.kernel`, 'utf8').catch(() => '')).split('\n').filter(Boolean);
  for (const pid of pids) {
    try {
      process.kill(Number(pid), 'SIGKILL');
    } catch {
      // Already ended: the patch was freed, or its loop ran out.
    }
  }
  await writeFile(`${log}.kernel`, '');
}

export interface FakeMachine {
  readonly root: string;
  readonly sysfs: string;
  readonly proc: string;
  readonly store: string;
  readonly run: string;
  /** Where the program reads /etc/default/tsbuild-patch (absent unless a test writes it). */
  readonly config: string;
  ctl(args: string[], env?: Record<string, string>): Promise<CtlResult>;
  /** COMMAND run as ctl is: the fake tools first in PATH, TSBP_* naming the fake machine. */
  exec(command: string[], env?: Record<string, string>): Promise<CtlResult>;
  /**
   * A fake .ko: key=value lines (name, vermagic, livepatch, srcversion, funcs, replace, …);
   * tsbuild_patch_replace follows replace unless given ('' leaves it out: an older module).
   */
  fakeModule(name: string, fields?: Record<string, string>): Promise<string>;
  /** What the fake insmod, rmmod and systemctl were asked, in order. */
  calls(): Promise<string[]>;
  /** The crash guard's record of each module as the fake insmod found it, in order. */
  insmodSaw(): Promise<string[]>;
  klp(name: string, file?: string): string;
  blockingTask(pid: number, comm: string, state: number): Promise<void>;
  /** A new boot: its boot id, the uptime in seconds, nothing loaded (the store and state stay, /run's go). */
  boot(id: string, uptime?: number): Promise<void>;
  setUptime(seconds: number): Promise<void>;
  /** systemd runs the machine from now on: loads by hand start its units (fake systemctl). */
  systemdRuns(): Promise<void>;
}

/** A fresh fake machine for each test of the file (booted as FIRST_BOOT, 100 s of uptime). */
export function useFakeMachine(): FakeMachine {
  let current: Paths | undefined;
  beforeEach(async () => {
    current = await create();
    await machine.boot(FIRST_BOOT, 100);
  });
  afterEach(async () => {
    await current?.cleanup();
    current = undefined;
  });
  const paths = (): Paths => {
    if (!current) throw new Error('the fake machine exists only inside a test');
    return current;
  };
  const machine: FakeMachine = {
    get root() {
      return paths().root;
    },
    get sysfs() {
      return paths().sysfs;
    },
    get proc() {
      return paths().proc;
    },
    get store() {
      return paths().store;
    },
    get run() {
      return paths().run;
    },
    get config() {
      return paths().config;
    },
    ctl(args, env = {}) {
      return machine.exec(['dash', CTL, ...args], env);
    },
    async exec([command, ...args], env = {}) {
      const p = paths();
      const result = await execa(command!, args, {
        reject: false,
        env: {
          PATH: `${FAKE_BIN}:${process.env['PATH']}`,
          TSBP_SYSFS: p.sysfs,
          TSBP_PROC: p.proc,
          TSBP_STORE: p.store,
          TSBP_RELEASE: RELEASE,
          TSBP_CONFIG: p.config,
          TSBP_RUN: p.run,
          FAKE_LOG: p.log,
          ...env,
        },
      });
      return { code: result.exitCode, stdout: String(result.stdout), stderr: String(result.stderr) };
    },
    async fakeModule(name, fields = {}) {
      const path = join(paths().root, `${name}.ko`);
      const all: Record<string, string> = {
        name,
        vermagic: VERMAGIC,
        livepatch: 'Y',
        srcversion: `SRC-${name}`,
        funcs: 'vmlinux:cmdline_proc_show,1',
        replace: '1',
        ...fields,
      };
      // What the loader reads of atomic replace (the fake kernel reads replace): the same unless
      // given; '' leaves it out (a module of an older tsbuild-patch).
      all['tsbuild_patch_replace'] ??= all['replace'] === '1' ? 'Y' : 'N';
      if (all['tsbuild_patch_replace'] === '') delete all['tsbuild_patch_replace'];
      await writeFile(
        path,
        Object.entries(all)
          .map(([k, v]) => `${k}=${v}\n`)
          .join(''),
      );
      return path;
    },
    async calls() {
      return (await readFile(paths().log, 'utf8')).trim().split('\n').filter(Boolean);
    },
    async insmodSaw() {
      const text = await readFile(`${paths().log}.guard`, 'utf8').catch(() => '');
      return text.trim().split('\n').filter(Boolean);
    },
    klp(name, file = '') {
      return join(paths().sysfs, 'kernel/livepatch', name, file);
    },
    async blockingTask(pid, comm, state) {
      const task = join(paths().proc, String(pid), 'task', String(pid));
      await mkdir(task, { recursive: true });
      await writeFile(join(task, 'patch_state'), `${state}\n`);
      await writeFile(join(task, 'comm'), `${comm}\n`);
      await writeFile(join(task, 'stack'), '[<0>] do_blocked_thing+0x1/0x2\n');
    },
    async boot(id, uptime = 5) {
      const p = paths();
      // What a boot starts with: no module loaded, no patch, and the loader's records of this
      // boot's loads gone with /run (a tmpfs). The old kernel's background work ends with it.
      await stopKernel(p.log);
      for (const loaded of ['kernel/livepatch', 'module']) {
        await rm(join(p.sysfs, loaded), { recursive: true, force: true });
        await mkdir(join(p.sysfs, loaded), { recursive: true });
      }
      await rm(join(p.run, 'tsbuild-patch'), { recursive: true, force: true });
      await writeFile(join(p.proc, 'sys/kernel/random/boot_id'), `${id}\n`);
      await machine.setUptime(uptime);
    },
    async setUptime(seconds) {
      await writeFile(join(paths().proc, 'uptime'), `${seconds.toFixed(2)} ${(seconds * 1.5).toFixed(2)}\n`);
    },
    async systemdRuns() {
      await mkdir(join(paths().run, 'systemd/system'), { recursive: true });
    },
  };
  return machine;
}
