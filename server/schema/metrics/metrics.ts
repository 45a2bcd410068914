import type {
  Granularity,
  ExecutionStats,
  StatsPoint,
  StatsReport,
  ToolStats,
  ToolTypeStats,
} from '../../metrics/execution-stats.ts';
import { uuidOrNil } from '../../db/json.ts';
import { ValidationError } from '../../errors.ts';
import { validateWindow } from '../../metrics/execution-stats.ts';
import type { ToolHealthReading } from '../../metrics/tool-health.ts';
import { dailyCost, type DailyCost } from '../../metrics/daily-cost.ts';
import { createBoundedStream } from '../../realtime/bounded-stream.ts';
import { toolHealthTopic, type ToolHealthEvent } from '../../realtime/pubsub.ts';
import type { Context } from '../../context.ts';
import { builder, type BuilderTypes } from '../builder.ts';
import { liveStream, watchAccess } from '../live-stream.ts';
import { ToolRef } from '../tools/tool.ts';
import { actorOf } from '../viewer-actor.ts';

const ToolHealthEnum = builder.enumType('ToolHealth', {
  description:
    "Over the last 15 minutes (at least 5 finished executions, approvers' rejections and cancellations left out): " +
    'FAILING below 50 % success; DEGRADED below 95 % success or above 2 s average duration; else OK. ' +
    'NO_DATA when no execution finished in those 15 minutes (never in toolHealthChanged events).',
  values: {
    OK: { description: 'Meeting the targets, or fewer than 5 finished executions to judge by.' },
    DEGRADED: { description: 'Below 95 % success, or above 2 s average duration.' },
    FAILING: { description: 'Below 50 % success.' },
    NO_DATA: { description: 'No execution finished in the last 15 minutes: nothing to judge.' },
  } as const,
});

const GranularityEnum = builder.enumType('MetricsGranularity', {
  description: 'The width of one point of a series; a window may span at most 1500 of them.',
  values: {
    MINUTE: { value: 'minute', description: 'One point per minute (UTC).' },
    HOUR: { value: 'hour', description: 'One point per hour (UTC).' },
    DAY: { value: 'day', description: 'One point per day (UTC).' },
  } as const,
});

const MetricsWindowInput = builder.inputType('MetricsWindowInput', {
  description: 'From (inclusive) to (exclusive); executions count in the window they started in.',
  fields: (t) => ({
    from: t.field({ type: 'DateTime', required: true, description: 'Start of the window, inclusive; before `to`.' }),
    to: t.field({ type: 'DateTime', required: true, description: 'End of the window, exclusive.' }),
  }),
});

const RollingWindowInput = builder.inputType('RollingWindowInput', {
  description: 'A window that ends now and moves with time (toolMetricsUpdated).',
  fields: (t) => ({
    lastSeconds: t.int({
      required: true,
      description: 'The window ends now and reaches this far back (60 to 604800).',
    }),
    granularity: t.field({ type: GranularityEnum, description: 'The width of one point (default MINUTE).' }),
  }),
});

const ErrorCodeCountRef = builder.objectRef<ExecutionStats['errorsByCode'][number]>('ErrorCodeCount').implement({
  description: 'How often one error code ended executions of a group.',
  fields: (t) => ({
    code: t.exposeString('code', { description: 'The execution error code (ToolExecution.errorCode).' }),
    count: t.exposeInt('count', { description: 'Finished executions that ended with this code.' }),
    rate: t.exposeFloat('rate', { description: 'Share of all executions of the group.' }),
  }),
});

const ExecutionStatsRef = builder.objectRef<ExecutionStats>('ExecutionStats').implement({
  description: 'Finished executions only; rates are null without executions.',
  fields: (t) => ({
    executions: t.exposeInt('executions', { description: 'Finished executions that started in the window or bucket.' }),
    successes: t.exposeInt('successes', { description: 'Of those, the ones that ended SUCCESS.' }),
    failures: t.exposeInt('failures', {
      description:
        'Of those, every other final status (ERROR, TIMEOUT, CANCELLED, REJECTED, ...): executions − successes.',
    }),
    successRate: t.exposeFloat('successRate', {
      nullable: true,
      description: 'successes / executions, from 0 to 1; null without executions.',
    }),
    errorRate: t.exposeFloat('errorRate', {
      nullable: true,
      description: 'failures / executions, from 0 to 1; null without executions.',
    }),
    timeouts: t.exposeInt('timeouts', { description: 'Executions that ended TIMEOUT (also counted in failures).' }),
    retries: t.exposeInt('retries', { description: 'Extra attempts, summed.' }),
    averageDurationMs: t.exposeFloat('averageDurationMs', {
      nullable: true,
      description: 'Mean ToolExecution.durationMs in milliseconds; null without executions.',
    }),
    p50DurationMs: t.exposeFloat('p50DurationMs', {
      nullable: true,
      description: 'Median duration in milliseconds (interpolated); null without executions.',
    }),
    p95DurationMs: t.exposeFloat('p95DurationMs', {
      nullable: true,
      description: '95th percentile duration in milliseconds (interpolated); null without executions.',
    }),
    p99DurationMs: t.exposeFloat('p99DurationMs', {
      nullable: true,
      description: '99th percentile duration in milliseconds (interpolated); null without executions.',
    }),
    errorsByCode: t.field({
      type: [ErrorCodeCountRef],
      description: 'Failures by error code, most frequent first; empty without failures.',
      resolve: (stats) => stats.errorsByCode,
    }),
    averageCpuTimeMs: t.exposeFloat('averageCpuTimeMs', {
      nullable: true,
      description: 'Average CPU time of the executions that reported one (CODE tools); null when none did.',
    }),
    p95CpuTimeMs: t.exposeFloat('p95CpuTimeMs', {
      nullable: true,
      description: '95th percentile of CPU time (within one histogram bin, about 9 %, on windows read from rollups).',
    }),
    averagePeakMemoryBytes: t.exposeFloat('averagePeakMemoryBytes', {
      nullable: true,
      description: 'Average peak memory of the executions that reported one; null when none did.',
    }),
    maxPeakMemoryBytes: t.exposeFloat('maxPeakMemoryBytes', {
      nullable: true,
      description: 'Largest peak memory reported; null when none was.',
    }),
    estimatedCostUsd: t.exposeFloat('estimatedCostUsd', {
      description: 'Sum of estimated costs in US dollars (Lambda tools with log_type Tail); 0 without any.',
    }),
  }),
});

const DailyCostRef = builder.objectRef<DailyCost>('DailyCost').implement({
  description: "A tool's estimated cost over one UTC day of the window.",
  fields: (t) => ({
    day: t.field({ type: 'DateTime', description: 'Start of the UTC day.', resolve: (cost) => cost.day }),
    estimatedCostUsd: t.exposeFloat('estimatedCostUsd', { description: 'US dollars.' }),
    executions: t.exposeInt('executions', { description: 'Finished executions that day (costed or not).' }),
  }),
});

const StatsPointRef = builder.objectRef<StatsPoint>('ExecutionStatsPoint').implement({
  description: 'The stats of one bucket of a series.',
  fields: (t) => ({
    bucket: t.field({ type: 'DateTime', description: 'Start of the bucket (UTC).', resolve: (point) => point.bucket }),
    stats: t.field({
      type: ExecutionStatsRef,
      description: 'Executions that started in the bucket.',
      resolve: (point) => point.stats,
    }),
  }),
});

type StatsGroup = Pick<StatsReport, 'totals' | 'series'>;

/** The fields every stats group (organization, tool type, tool) shares. */
function totalsAndSeries<Group extends StatsGroup>(t: PothosSchemaTypes.ObjectFieldBuilder<BuilderTypes, Group>) {
  return {
    totals: t.field({
      type: ExecutionStatsRef,
      description: 'Over the whole window.',
      resolve: (group) => group.totals,
    }),
    series: t.field({
      type: [StatsPointRef],
      description: 'One point per bucket with executions, oldest first.',
      resolve: (group) => group.series,
    }),
  };
}

const ToolTypeMetricsRef = builder.objectRef<ToolTypeStats>('ToolTypeMetrics').implement({
  description: 'The stats of all tools of one type.',
  fields: (t) => ({
    toolType: t.exposeString('toolType', { description: 'ENDPOINT, CODE, LAMBDA, or BUILTIN.' }),
    ...totalsAndSeries(t),
  }),
});

async function loadTools(ids: readonly string[], context: Context) {
  const tools = await context.services.prisma.tool.findMany({
    where: { id: { in: [...ids] }, organizationId: actorOf(context).organizationId },
  });
  const byId = new Map(tools.map((tool) => [tool.id, tool]));
  return ids.map((id) => byId.get(id) ?? null);
}

function loadHealth(ids: readonly string[], context: Context): Promise<ToolHealthReading[]> {
  return context.services.metrics.health(actorOf(context).organizationId, ids);
}

const ToolMetricsRef = builder.objectRef<ToolStats>('ToolMetrics').implement({
  description: 'The stats of one tool (or built-in).',
  fields: (t) => ({
    toolId: t.exposeID('toolId', { nullable: true, description: 'Null for built-ins and deleted tools.' }),
    toolName: t.exposeString('toolName', { description: 'The name its executions recorded (the latest one seen).' }),
    toolType: t.exposeString('toolType', { description: 'ENDPOINT, CODE, LAMBDA, or BUILTIN.' }),
    tool: t.loadable({
      type: ToolRef,
      nullable: true,
      description: 'The tool now; null for built-ins and deleted tools.',
      load: loadTools,
      resolve: (stats) => stats.toolId,
    }),
    health: t.loadable({
      type: ToolHealthEnum,
      nullable: true,
      description: 'Null for built-ins.',
      load: loadHealth,
      resolve: (stats) => stats.toolId,
    }),
    ...totalsAndSeries(t),
    dailyCost: t.field({
      type: [DailyCostRef],
      description:
        "Estimated cost per UTC day, from the window's series (days the window only partly covers count their covered part).",
      resolve: (group) => dailyCost(group.series),
    }),
  }),
});

const OrganizationMetricsRef = builder.objectRef<StatsReport>('OrganizationMetrics').implement({
  description: "An organization's execution stats over a window: in total, per bucket, per tool type and per tool.",
  fields: (t) => ({
    from: t.field({
      type: 'DateTime',
      description: 'Start of the window (inclusive).',
      resolve: (report) => report.from,
    }),
    to: t.field({ type: 'DateTime', description: 'End of the window (exclusive).', resolve: (report) => report.to }),
    granularity: t.field({
      type: GranularityEnum,
      description: 'The width of the series points.',
      resolve: (report) => report.granularity,
    }),
    ...totalsAndSeries(t),
    byToolType: t.field({
      type: [ToolTypeMetricsRef],
      description: 'One entry per tool type that ran in the window.',
      resolve: (report) => report.byToolType,
    }),
    byTool: t.field({
      type: [ToolMetricsRef],
      description: 'One entry per tool (and built-in) that ran in the window.',
      resolve: (report) => report.byTool,
    }),
  }),
});

const ToolHealthEventRef = builder.objectRef<ToolHealthEvent>('ToolHealthEvent').implement({
  description: "A change of one tool's health (see ToolHealth).",
  fields: (t) => ({
    toolId: t.exposeID('toolId', { description: 'The tool whose health changed.' }),
    health: t.field({ type: ToolHealthEnum, description: 'Its health now.', resolve: (event) => event.health }),
    previous: t.field({ type: ToolHealthEnum, description: 'Its health before.', resolve: (event) => event.previous }),
    at: t.field({
      type: 'DateTime',
      description: 'When the change was noticed.',
      resolve: (event) => new Date(event.at),
    }),
    tool: t.loadable({
      type: ToolRef,
      nullable: true,
      description: 'The tool now; null when it was deleted since.',
      load: loadTools,
      resolve: (event) => event.toolId,
    }),
  }),
});

builder.prismaObjectField('Tool', 'health', (t) =>
  t.loadable({
    type: ToolHealthEnum,
    description: 'See ToolHealth for the thresholds.',
    load: loadHealth,
    resolve: (tool) => tool.id,
  }),
);

const MIN_ROLLING_SECONDS = 60;
const MAX_ROLLING_SECONDS = 7 * 24 * 3600;

builder.queryFields((t) => ({
  organizationMetrics: t.field({
    type: OrganizationMetricsRef,
    authScopes: { authenticated: true },
    description:
      "The viewer's organization's execution stats over a window (at most 1500 points of `granularity`, default HOUR).",
    args: {
      window: t.arg({ type: MetricsWindowInput, required: true }),
      granularity: t.arg({ type: GranularityEnum, defaultValue: 'hour' }),
    },
    resolve: (_root, args, context) =>
      context.services.metrics.stats(
        actorOf(context).organizationId,
        args.window,
        (args.granularity ?? 'hour') as Granularity,
      ),
  }),
  toolMetrics: t.field({
    type: ToolMetricsRef,
    nullable: true,
    authScopes: { authenticated: true },
    description: 'Null when the tool does not exist in the organization.',
    args: {
      toolId: t.arg.id({ required: true }),
      window: t.arg({ type: MetricsWindowInput, required: true }),
      granularity: t.arg({ type: GranularityEnum, defaultValue: 'hour' }),
    },
    resolve: async (_root, args, context) => {
      const organizationId = actorOf(context).organizationId;
      const tool = await context.services.prisma.tool.findFirst({
        where: { id: uuidOrNil(args.toolId), organizationId },
        select: { id: true, name: true, type: true },
      });
      if (!tool) return null;
      const report = await context.services.metrics.stats(
        organizationId,
        args.window,
        (args.granularity ?? 'hour') as Granularity,
        tool.id,
      );
      return {
        toolId: tool.id,
        toolName: tool.name,
        toolType: tool.type,
        totals: report.totals,
        series: report.series,
      };
    },
  }),
}));

builder.subscriptionFields((t) => ({
  toolMetricsUpdated: t.field({
    type: OrganizationMetricsRef,
    authScopes: { authenticated: true },
    description: "The organization's live stats over a rolling window, pushed at once and then every few seconds.",
    args: { window: t.arg({ type: RollingWindowInput, required: true }) },
    subscribe: (_root, args, context) => {
      actorOf(context);
      const seconds = args.window.lastSeconds;
      if (seconds < MIN_ROLLING_SECONDS || seconds > MAX_ROLLING_SECONDS) {
        throw new ValidationError([
          { field: 'window.lastSeconds', message: `must be between ${MIN_ROLLING_SECONDS} and ${MAX_ROLLING_SECONDS}` },
        ]);
      }
      const now = Date.now();
      validateWindow(
        new Date(now - seconds * 1000),
        new Date(now),
        (args.window.granularity ?? 'minute') as Granularity,
      );
      // A tick is only a prompt to recompute: unread ticks coalesce into one instead of queueing.
      const timer = setInterval(() => {
        if (ticks.size === 0) ticks.push(Date.now());
      }, context.services.config.live.metricsPushIntervalMs);
      let stopWatching = (): void => {};
      const ticks = createBoundedStream<number>({
        limit: 1,
        onEnd: () => {
          clearInterval(timer);
          stopWatching();
        },
      });
      stopWatching = watchAccess(context, ticks);
      ticks.push(Date.now());
      return ticks;
    },
    resolve: (_tick, args, context) =>
      context.services.metrics.rolling(
        actorOf(context).organizationId,
        args.window.lastSeconds,
        (args.window.granularity ?? 'minute') as Granularity,
      ),
  }),
  toolHealthChanged: t.field({
    type: ToolHealthEventRef,
    authScopes: { authenticated: true },
    description: "A tool of the viewer's organization changed health.",
    subscribe: (_root, _args, context) =>
      liveStream(context, 'toolHealthChanged', toolHealthTopic(actorOf(context).organizationId)),
    resolve: (event) => event,
  }),
}));
