// The machine's shared lock for heavy work (kernel builds, qemu): `flock LOCK` held by a child
// that waits on its stdin, so in-process work (a VM boot) can run under it and release it early.
import { spawn } from 'node:child_process';
import { HEAVY_LOCK } from './tool-run.js';

export async function withHeavyLock<T>(body: () => Promise<T>): Promise<T> {
  const child = spawn('flock', [HEAVY_LOCK, 'sh', '-c', 'echo locked; read _'], { stdio: ['pipe', 'pipe', 'inherit'] });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('locked') && resolve());
    child.on('exit', (code) => reject(new Error(`flock ${HEAVY_LOCK} exited with ${code}`)));
  });
  try {
    return await body();
  } finally {
    child.stdin.end();
    await new Promise((resolve) => child.once('exit', resolve));
  }
}
