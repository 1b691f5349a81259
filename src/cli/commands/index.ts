import type { CommandModule } from 'yargs';
import { batchCommand } from './batch.js';
import { buildCommand } from './build.js';
import { cacheCommand } from './cache.js';
import { diffCommand } from './diff.js';
import { elfDumpCommand } from './elf-dump.js';
import { packageCommand } from './package.js';
import { prepareCommand } from './prepare.js';
import { promoteCommand } from './promote.js';
import { publishCommand } from './publish.js';
import { releasesCommand } from './releases.js';
import { streamCommand } from './stream.js';
import { testKernelCommand } from './test-kernel.js';
import { vmTestCommand } from './vm-test.js';

// Each command lives in its own file; register it here.
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const commands: CommandModule<any, any>[] = [
  buildCommand,
  batchCommand,
  cacheCommand,
  diffCommand,
  elfDumpCommand,
  packageCommand,
  prepareCommand,
  promoteCommand,
  publishCommand,
  releasesCommand,
  streamCommand,
  testKernelCommand,
  vmTestCommand,
];
