// Provision the test kernel (Debian's linux-source-6.1, built once per cache key) and print
// the paths it produced. Usage: npx tsx scripts/test-kernel.ts [--json] [--jobs N]
import { provisionTestKernel } from '../src/build/test-kernel/provision.js';
import { reportError } from '../src/cli/errors.js';
import { stderrLogger } from '../src/util/log.js';

const args = process.argv.slice(2);
const jobsAt = args.indexOf('--jobs');
const jobs = jobsAt >= 0 ? Number(args[jobsAt + 1]) : undefined;
try {
  const kernel = await provisionTestKernel({ log: stderrLogger, ...(jobs ? { jobs } : {}) });
  if (args.includes('--json')) process.stdout.write(JSON.stringify(kernel, null, 2) + '\n');
  else for (const [name, value] of Object.entries(kernel)) process.stdout.write(`${name.padEnd(14)} ${value}\n`);
} catch (error) {
  process.exitCode = reportError(error);
}
