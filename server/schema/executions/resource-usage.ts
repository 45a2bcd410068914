import type { ToolExecution } from '../../db/generated/prisma/client.ts';
import { builder } from '../builder.ts';

type UsageSource = Pick<
  ToolExecution,
  | 'cpuTimeMs'
  | 'peakMemoryBytes'
  | 'billedDurationMs'
  | 'memorySizeMb'
  | 'maxMemoryUsedMb'
  | 'initDurationMs'
  | 'estimatedCostNanoUsd'
>;

const NANO_PER_USD = 1e9;

const ResourceUsageRef = builder.objectRef<UsageSource>('ResourceUsage').implement({
  description:
    'What one execution used, as far as its executor could tell; every field is null when unknown (docs/tools.md, "Resource usage and cost").',
  fields: (t) => ({
    cpuTimeMs: t.exposeInt('cpuTimeMs', {
      nullable: true,
      description: "CODE tools: CPU time of the code (JavaScript: the isolate's; Python: the interpreter process's).",
    }),
    peakMemoryBytes: t.float({
      nullable: true,
      description:
        "CODE tools: JavaScript, the isolate's heap (total + external) at the end of the run; Python, the interpreter's WebAssembly heap (its high-water mark).",
      resolve: (usage) => (usage.peakMemoryBytes === null ? null : Number(usage.peakMemoryBytes)),
    }),
    billedDurationMs: t.exposeInt('billedDurationMs', {
      nullable: true,
      description: "LAMBDA tools with log_type Tail: Billed Duration from the invocation's REPORT line.",
    }),
    memorySizeMb: t.exposeInt('memorySizeMb', {
      nullable: true,
      description: "LAMBDA tools with log_type Tail: the function's configured Memory Size.",
    }),
    maxMemoryUsedMb: t.exposeInt('maxMemoryUsedMb', {
      nullable: true,
      description: 'LAMBDA tools with log_type Tail: Max Memory Used.',
    }),
    initDurationMs: t.exposeInt('initDurationMs', {
      nullable: true,
      description: 'LAMBDA tools with log_type Tail: Init Duration of a cold start (null when warm).',
    }),
    estimatedCostUsd: t.float({
      nullable: true,
      description:
        'LAMBDA tools with log_type Tail: GB-seconds × SWITCHBOARD_LAMBDA_PRICE_PER_GB_SECOND + SWITCHBOARD_LAMBDA_PRICE_PER_REQUEST, in US dollars.',
      resolve: (usage) =>
        usage.estimatedCostNanoUsd === null ? null : Number(usage.estimatedCostNanoUsd) / NANO_PER_USD,
    }),
  }),
});

function hasUsage(execution: UsageSource): boolean {
  return [
    execution.cpuTimeMs,
    execution.peakMemoryBytes,
    execution.billedDurationMs,
    execution.memorySizeMb,
    execution.maxMemoryUsedMb,
    execution.initDurationMs,
    execution.estimatedCostNanoUsd,
  ].some((value) => value !== null && value !== undefined);
}

builder.prismaObjectField('ToolExecution', 'resourceUsage', (t) =>
  t.field({
    type: ResourceUsageRef,
    nullable: true,
    description: 'CPU, memory and Lambda billing figures of the run; null when the executor reported none.',
    resolve: (execution) => (hasUsage(execution) ? execution : null),
  }),
);
