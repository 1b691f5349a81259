import { chmod, cp, mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { execa } from 'execa';
import { QEMU } from '../../../src/vm/qemu.js';
import { VM_MEMORY_MIB } from '../../../src/vm/memory.js';
import { UserError } from '../../../src/util/errors.js';
import { REPORT_PREFIX } from './guest-files.js';
import { parseDriverReport, type DriverReport } from './serial-report.js';

/** A bootable Debian system: kernel, initramfs and the cached root disk (never written). */
export interface SystemImage {
  release: string;
  kernel: string;
  initrd: string;
  disk: string;
}

export interface BootRequest {
  /** Shell run by the guest driver as root (sourced, with `report KEY VALUE`), in /srv/test. */
  script: string;
  /** Directories copied onto the second disk: name on the disk → host directory. */
  directories?: Readonly<Record<string, string>>;
  timeoutMs?: number;
  onConsole?: (text: string) => void;
}

export interface BootResult extends DriverReport {
  console: string;
  timedOut: boolean;
  /** Wall time from starting qemu to the driver starting the script, and to qemu's exit. */
  wallToScriptMs: number | undefined;
  wallMs: number;
}

export const KERNEL_CMDLINE = 'console=ttyS0 root=/dev/vda rw panic=-1 quiet systemd.show_status=0 init_on_alloc=0';

/**
 * One machine: a copy-on-write overlay of the root disk that lives across boots (a reboot is a
 * new qemu run on the same overlay), and a work directory for the per-boot second disk.
 */
export class SystemMachine {
  private boots = 0;

  private constructor(
    readonly image: SystemImage,
    private readonly workDir: string,
    private readonly overlay: string,
  ) {}

  static async create(image: SystemImage, parentDir: string): Promise<SystemMachine> {
    await mkdir(parentDir, { recursive: true });
    const workDir = await mkdtemp(join(parentDir, 'machine-'));
    const overlay = join(workDir, 'root.qcow2');
    await execa('qemu-img', ['create', '-q', '-f', 'qcow2', '-b', image.disk, '-F', 'raw', overlay]);
    return new SystemMachine(image, workDir, overlay);
  }

  async boot(request: BootRequest): Promise<BootResult> {
    const n = ++this.boots;
    const dataDir = join(this.workDir, `data-${n}`);
    const dataDisk = join(this.workDir, `data-${n}.img`);
    await mkdir(dataDir, { recursive: true });
    await chmod(dataDir, 0o755); // the disk's root: apt's _apt user reads a file: repository on it
    await writeFile(join(dataDir, 'run.sh'), request.script);
    for (const [name, source] of Object.entries(request.directories ?? {})) {
      await cp(source, join(dataDir, name), { recursive: true });
    }
    await execa('mkfs.ext4', ['-q', '-F', '-d', dataDir, '-L', 'data', dataDisk, '256M']);
    const args = [
      '-accel',
      'tcg',
      '-m',
      String(VM_MEMORY_MIB.systemVm),
      '-smp',
      '2',
      '-nodefaults',
      '-display',
      'none',
      '-no-reboot',
      '-nic',
      'none',
      '-serial',
      'stdio',
      '-kernel',
      this.image.kernel,
      '-initrd',
      this.image.initrd,
      '-append',
      KERNEL_CMDLINE,
      '-drive',
      `file=${this.overlay},format=qcow2,if=virtio`,
      '-drive',
      `file=${dataDisk},format=raw,if=virtio`,
    ];
    const started = Date.now();
    let wallToScriptMs: number | undefined;
    let seen = '';
    const child = execa(QEMU, args, {
      reject: false,
      stdin: 'ignore',
      timeout: request.timeoutMs ?? 300_000,
      killSignal: 'SIGKILL',
      lines: false,
    });
    child.stdout?.on('data', (chunk: Buffer) => {
      const text = chunk.toString('utf8');
      request.onConsole?.(text);
      if (wallToScriptMs === undefined) {
        seen = (seen + text).slice(-200);
        if (seen.includes(`${REPORT_PREFIX} begin`)) wallToScriptMs = Date.now() - started;
      }
    });
    const result = await child;
    const console = String(result.stdout ?? '');
    if (!result.timedOut && result.exitCode !== 0 && console.length === 0) {
      throw new UserError(`${QEMU} failed to start (exit ${result.exitCode}): ${String(result.stderr ?? '').trim()}`);
    }
    await rm(dataDir, { recursive: true, force: true });
    await rm(dataDisk, { force: true });
    return {
      ...parseDriverReport(console),
      console,
      timedOut: result.timedOut,
      wallToScriptMs,
      wallMs: Date.now() - started,
    };
  }

  async dispose(): Promise<void> {
    await rm(this.workDir, { recursive: true, force: true });
  }
}
