// Benchmark: how long reading the symbol table of a big ELF file takes, and peak memory.
// Usage: npx tsx scripts/bench-elf.ts [PATH] [--iterations N]
// PATH defaults to the test kernel's vmlinux (provisioned by scripts/test-kernel.ts).
import { performance } from 'node:perf_hooks';
import { stat } from 'node:fs/promises';
import { readElf, STT_FUNC } from '../src/elf/index.js';
import { reportError } from '../src/cli/errors.js';

async function defaultPath(): Promise<string> {
  const { provisionTestKernel } = await import('../src/sources/test-kernel/provision.js');
  const { stderrLogger } = await import('../src/util/log.js');
  return (await provisionTestKernel({ log: stderrLogger })).vmlinux;
}

function parseArgs(argv: string[]): { path: string | undefined; iterations: number } {
  let path: string | undefined;
  let iterations = 7;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i] as string;
    if (arg === '--iterations') iterations = Number(argv[++i]);
    else path = arg;
  }
  if (!Number.isInteger(iterations) || iterations < 1) throw new Error('--iterations needs a positive integer');
  return { path, iterations };
}

const ms = (value: number): string => `${value.toFixed(1)} ms`;

try {
  const args = parseArgs(process.argv.slice(2));
  const path = args.path ?? (await defaultPath());
  const size = (await stat(path)).size;
  const baselineRss = process.memoryUsage().rss / 1048576;
  const times: number[] = [];
  let symbols = 0;
  let functions = 0;
  let sections = 0;
  for (let i = 0; i < args.iterations; i++) {
    const start = performance.now();
    const file = await readElf(path);
    const list = file.symbols;
    times.push(performance.now() - start);
    symbols = list.length;
    sections = file.sections.length;
    functions = list.filter((s) => s.type === STT_FUNC).length;
  }
  times.sort((a, b) => a - b);
  const median = times[Math.floor(times.length / 2)] as number;
  const peakRss = process.resourceUsage().maxRSS / 1024;
  process.stdout.write(
    [
      `file            ${path} (${(size / 1048576).toFixed(1)} MiB, ${sections} sections)`,
      `symbols         ${symbols} (${functions} functions)`,
      `read + symtab   min ${ms(times[0] as number)}, median ${ms(median)} over ${args.iterations} runs`,
      `peak RSS        ${peakRss.toFixed(0)} MiB (whole process; ${baselineRss.toFixed(0)} MiB before the first read;`,
      `                garbage of earlier runs may still count, use --iterations 1 for one read alone)`,
      '',
    ].join('\n'),
  );
} catch (error) {
  process.exitCode = reportError(error);
}
