#!/usr/bin/env node
// Count passed, failed and skipped tests in a vitest JSON report (jest-compatible):
//   node .ci/count-results.mjs REPORT.json   prints "PASSED FAILED SKIPPED"
// An unreadable or missing report prints "0 0 0" (the caller decides what a failed run means).
//
// Per test file (an entry of testResults):
// - A file can fail without a failing test of its own: a beforeAll that throws (its tests are
//   then reported "skipped"), a describe-level hook, an afterAll, a file that does not load (no
//   tests at all). Vitest marks such a file "failed" with no failed test, or with the file's own
//   error in `message`. Its skipped/pending tests did not run because of that failure and count
//   as failed; if that counts nothing (no tests, or all passed), the file itself is one failure.
// - Otherwise a file is "failed" only through its failed tests, and its skipped/pending tests
//   were skipped on purpose.
// Todo tests never run and always count as skipped.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const NOT_RUN = new Set(['skipped', 'pending', 'disabled']);

export function countResults(report) {
  let passed = 0;
  let failed = 0;
  let skipped = 0;
  for (const file of report.testResults) {
    const statuses = (file.assertionResults ?? []).map((test) => test.status);
    const failedTests = statuses.filter((status) => status === 'failed').length;
    const notRun = statuses.filter((status) => NOT_RUN.has(status)).length;
    passed += statuses.filter((status) => status === 'passed').length;
    skipped += statuses.filter((status) => status === 'todo').length;
    const fileError = file.status === 'failed' && (failedTests === 0 || Boolean(file.message));
    if (fileError) failed += failedTests + notRun === 0 ? 1 : failedTests + notRun;
    else {
      failed += failedTests;
      skipped += notRun;
    }
  }
  return { passed, failed, skipped };
}

function readReport(path) {
  try {
    const report = JSON.parse(readFileSync(path, 'utf8'));
    return Array.isArray(report?.testResults) ? report : undefined;
  } catch {
    return undefined;
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const report = process.argv[2] === undefined ? undefined : readReport(process.argv[2]);
  const { passed, failed, skipped } = report ? countResults(report) : { passed: 0, failed: 0, skipped: 0 };
  console.log(`${passed} ${failed} ${skipped}`);
}
