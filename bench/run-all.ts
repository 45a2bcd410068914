/** `npm run bench`: every benchmark in turn, each printing its own figures. */
import { runAsyncQueue } from './async-queue.ts';
import { runDashboardWeight } from './dashboard-weight.ts';
import { runEndpointOverhead } from './endpoint-overhead.ts';
import { runFanout } from './fanout.ts';
import { runHangupSettle } from './hangup-settle.ts';
import { runMetricsQuery } from './metrics-query.ts';
import { runMetricsRollups } from './metrics-rollups.ts';
import { runSandboxJavascript } from './sandbox-javascript.ts';
import { runSandboxPython } from './sandbox-python.ts';

await runEndpointOverhead();
await runFanout();
await runHangupSettle();
await runMetricsQuery();
await runMetricsRollups();
await runAsyncQueue();
await runSandboxJavascript();
await runSandboxPython();
runDashboardWeight();
