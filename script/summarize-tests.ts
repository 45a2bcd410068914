// Prints the closing "N passed, N failed" line from Vitest's JSON report.
import { readFileSync } from 'node:fs';

interface Report {
  numPassedTests: number;
  numFailedTests: number;
  numPendingTests: number;
  numTodoTests: number;
  numFailedTestSuites: number;
}

const file = process.argv[2] ?? 'test-results/vitest.json';
let report: Report;
try {
  report = JSON.parse(readFileSync(file, 'utf8')) as Report;
} catch {
  console.log('0 passed, 1 failed');
  process.exit(1);
}
// A file that fails to load counts as a failure even though none of its tests ran.
const failed = report.numFailedTests + (report.numFailedTests === 0 ? report.numFailedTestSuites : 0);
const skipped = report.numPendingTests + report.numTodoTests;
console.log(`${report.numPassedTests} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ''}`);
process.exit(failed > 0 ? 1 : 0);
