import { execa } from 'execa';
import { UserError } from '../util/errors.js';

export const QEMU = 'qemu-system-x86_64';

export interface QemuOptions {
  kernel: string;
  initrd: string;
  cmdline: string;
  memoryMiB: number;
  cpus: number;
  timeoutMs: number;
  /** Called with console output as it arrives (for --verbose). */
  onConsole?: (text: string) => void;
}

export interface QemuRun {
  console: string;
  timedOut: boolean;
  exitCode: number | undefined;
  durationMs: number;
}

/**
 * Boot a kernel under TCG (KVM is not usable on the machines this was built for) with the
 * serial console on stdout. The guest ends the run with `reboot -f`, which `-no-reboot` turns
 * into a qemu exit; a kernel panic does the same through `panic=-1`.
 */
export async function runQemu(options: QemuOptions): Promise<QemuRun> {
  const args = [
    '-accel',
    'tcg',
    '-nodefaults',
    '-display',
    'none',
    '-no-reboot',
    '-m',
    `${options.memoryMiB}M`,
    '-smp',
    String(options.cpus),
    '-serial',
    'stdio',
    '-kernel',
    options.kernel,
    '-initrd',
    options.initrd,
    '-append',
    options.cmdline,
  ];
  const started = Date.now();
  const child = execa(QEMU, args, {
    reject: false,
    stdin: 'ignore',
    timeout: options.timeoutMs,
    killSignal: 'SIGKILL',
    buffer: { stdout: true, stderr: true },
    lines: false,
  });
  if (options.onConsole) child.stdout?.on('data', (chunk: Buffer) => options.onConsole?.(chunk.toString('utf8')));
  const result = await child;
  if (result.failed && (result as { code?: string }).code === 'ENOENT') {
    throw new UserError(`${QEMU} is not installed`, { hint: 'apt-get install qemu-system-x86' });
  }
  const stderr = String(result.stderr ?? '');
  if (!result.timedOut && result.exitCode !== 0 && String(result.stdout ?? '').length === 0) {
    throw new UserError(`${QEMU} failed to start (exit ${result.exitCode}): ${stderr.trim()}`);
  }
  return {
    console: String(result.stdout ?? ''),
    timedOut: result.timedOut,
    exitCode: result.exitCode,
    durationMs: Date.now() - started,
  };
}
