// npm run corpus:summary -- RUN... [--out FILE.md]: one summary of several corpus runs (a patch
// in several runs counts once, with its latest result).
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { readManifest } from './manifest.js';
import { runsDir } from './paths.js';
import { readResults, type PatchResult } from './results.js';
import { summarize } from './summary.js';

const args = process.argv.slice(2);
const outAt = args.indexOf('--out');
const out = outAt >= 0 ? args[outAt + 1] : undefined;
const runs = args.filter((a, i) => a !== '--out' && (outAt < 0 || i !== outAt + 1));
const byId = new Map<string, PatchResult>();
for (const run of runs) for (const r of await readResults(join(runsDir(), run, 'results.jsonl'))) byId.set(r.id, r);
const markdown = summarize(await readManifest(), [...byId.values()], {
  seed: NaN,
  command: `runs ${runs.join(', ')} combined`,
  head: 'see each run',
});
if (out) await writeFile(out, markdown + '\n');
process.stdout.write(markdown + '\n');
