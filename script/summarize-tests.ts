// Prints the closing "N passed, N failed, N skipped" line from Vitest's JSON report. Under CI=true a
// skipped test fails the run unless it wrote its reason (meta.skipReason, see tests/helpers/required-services.ts).
import { readFileSync } from 'node:fs';

interface AssertionResult {
  fullName: string;
  status: string;
  meta?: { skipReason?: string };
}

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
  testResults?: Array<{ name: string; assertionResults: AssertionResult[] }>;
}

const SKIPPED = new Set(['pending', 'skipped', 'todo', 'disabled']);

const file = process.argv[2] ?? 'test-results/vitest.json';
let report: Report;
try {
  report = JSON.parse(readFileSync(file, 'utf8')) as Report;
} catch {
  console.log('0 passed, 1 failed, 0 skipped');
  process.exit(1);
}
// A file that fails to load counts as a failure even though none of its tests ran.
const failed = report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
const skipped = report.numPendingTests + report.numTodoTests;
const unexplained = (report.testResults ?? []).flatMap((file) =>
  file.assertionResults
    .filter((test) => SKIPPED.has(test.status) && !test.meta?.skipReason)
    .map((test) => `${file.name}: ${test.fullName}`),
);
const underCi = process.env.CI === 'true';
if (underCi && unexplained.length > 0) {
  console.log(`Skipped without a written reason (not allowed under CI=true):`);
  for (const name of unexplained) console.log(`  ${name}`);
}
console.log(`${report.numPassedTests} passed, ${failed} failed, ${skipped} skipped`);
process.exit(failed > 0 || (underCi && unexplained.length > 0) ? 1 : 0);
