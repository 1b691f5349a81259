// Provision the test kernel (Debian's linux-source-6.1, built once per cache key) and print
// the paths it produced. Usage: npx tsx scripts/test-kernel.ts [--json] [--jobs N]
import { provisionTestKernel } from '../src/sources/test-kernel/provision.js';
import { reportError } from '../src/cli/errors.js';
import { printTestKernel } from '../src/cli/commands/test-kernel.js';
import { stderrLogger } from '../src/util/log.js';

const args = process.argv.slice(2);
const jobsAt = args.indexOf('--jobs');
const jobs = jobsAt >= 0 ? Number(args[jobsAt + 1]) : undefined;
try {
  printTestKernel(await provisionTestKernel({ log: stderrLogger, ...(jobs ? { jobs } : {}) }), args.includes('--json'));
} catch (error) {
  process.exitCode = reportError(error);
}
