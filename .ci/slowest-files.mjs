#!/usr/bin/env node
// From a vitest JSON report: each test file's duration, slowest first (where CI's time goes),
// or with --skipped the tests that did not run.
//   node .ci/slowest-files.mjs REPORT.json [--skipped]
import { readFileSync } from 'node:fs';
import { relative } from 'node:path';

const [path, flag] = process.argv.slice(2);
let report;
try {
  report = JSON.parse(readFileSync(path, 'utf8'));
} catch {
  process.exit(0); // no report: the run did not reach the tests (counted by count-results.mjs)
}
const files = report.testResults ?? [];
if (flag === '--skipped') {
  for (const file of files) {
    for (const test of file.assertionResults ?? []) {
      if (['skipped', 'pending', 'disabled', 'todo'].includes(test.status)) {
        console.log(`ci: skipped: ${relative(process.cwd(), file.name)}: ${test.fullName}`);
      }
    }
  }
} else {
  const timed = files.map((file) => ({
    name: relative(process.cwd(), file.name),
    seconds: (file.endTime - file.startTime) / 1000,
  }));
  timed.sort((a, b) => b.seconds - a.seconds);
  const total = timed.reduce((sum, file) => sum + file.seconds, 0);
  console.log(`ci: test files by duration (${total.toFixed(0)} s in all):`);
  for (const file of timed.slice(0, 25)) console.log(`ci:   ${file.seconds.toFixed(1).padStart(7)} s  ${file.name}`);
}
