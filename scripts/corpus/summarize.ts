// npm run corpus:summary -- RUN... [--out FILE.md]: one summary of several corpus runs (a patch
// in several runs counts once, with its latest result; its attempts in the runs before, in the
// order given, are kept: a failure then a pass is flaky).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest } from './manifest.js';
import { runsDir } from './paths.js';
import { readResults } from './results.js';
import { summarize } from './summary.js';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args[outAt + 1] : undefined;
const runs = args.filter((a, i) => a !== '--out' && (outAt < 0 || i !== outAt + 1));
const results = await readResults(...runs.map((run) => join(runsDir(), run, 'results.jsonl')));
const markdown = summarize(await readManifest(), results, {
  seed: NaN,
  command: `runs ${runs.join(', ')} combined`,
  head: 'see each run',
});
if (out) await writeFile(out, markdown + '\n');
process.stdout.write(markdown + '\n');
