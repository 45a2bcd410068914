/**
 * One database read per live event per process, shared by every subscriber.
 *
 * Every subscriber of an organization's topic executes its subscription
 * document for each event, and `ToolExecutionEvent.execution` used to read the
 * row (and each selected relation) per subscriber: 1,000 subscribers, 1,000
 * reads per event. Here the first subscriber to resolve an event starts the read
 * and the others await the same promise.
 *
 * Keyed by the event object itself: the pub/sub hands one object per published
 * event to all the listeners of a process (the in-memory target dispatches the
 * payload it was given; the Redis target parses each message once), so two
 * distinct events never share a read, even for the same execution within the
 * same millisecond. The cache lives exactly as long as some subscriber queue
 * still holds the event (WeakMap), so it is bounded by the subscription queue limits.
 *
 * Within an event the read is keyed by the reading organization: the topic is
 * per organization already, but the row is still read with `organizationId`
 * in the where clause, so a misrouted event resolves to null for a stranger.
 */
import type { Prisma as P } from '../db/generated/prisma/client.ts';
import type { Prisma } from '../db/database.ts';

/** What the live monitor's ToolExecution exposes as relations, loaded with the row. */
export const SNAPSHOT_INCLUDE = {
  tool: true,
  assistant: true,
  call: { include: { assistant: true } },
} as const satisfies P.ToolExecutionInclude;

export type ExecutionSnapshot = P.ToolExecutionGetPayload<{ include: typeof SNAPSHOT_INCLUDE }>;

/** A Prisma query as Pothos derives it from a selection (include / select trees and arguments). */
export type SelectionQuery = Record<string, unknown>;

type IncludeTree = { readonly [relation: string]: true | { readonly include: IncludeTree } };

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/**
 * Whether rows loaded with `tree` answer `query` without anything missing: the query
 * only includes (whole rows, no select, no filtering or ordering) relations the tree has.
 */
export function includeCovers(tree: IncludeTree, query: unknown): boolean {
  if (query === true) return true;
  if (!isPlainObject(query)) return false;
  for (const key in query) {
    if (key !== 'include') return false;
  }
  const include = query.include;
  if (include === undefined) return true;
  if (!isPlainObject(include)) return false;
  for (const relation in include) {
    const wanted = include[relation];
    if (wanted === false || wanted === undefined) continue;
    const have = tree[relation];
    if (have === undefined) return false;
    if (wanted === true) continue;
    if (!includeCovers(have === true ? {} : have.include, wanted)) return false;
  }
  return true;
}

/** The parts of an event the read needs; the object's identity is what the cache keys on. */
export interface SnapshotEvent {
  executionId: string;
}

export interface ExecutionSnapshots {
  /**
   * The execution an event refers to, read once per (event, organization, query shape):
   * the common snapshot (row, tool, assistant, call with its assistant) answers every
   * selection it covers; a selection reaching further (e.g. `tool { createdBy }`) gets
   * its own read, shared by the subscribers making the same selection.
   */
  load(
    prisma: Prisma,
    event: SnapshotEvent,
    organizationId: string,
    query: SelectionQuery,
  ): Promise<ExecutionSnapshot | null>;
  /** Reads started so far (for tests and diagnostics). */
  readonly reads: number;
}

export function createExecutionSnapshots(): ExecutionSnapshots {
  const byEvent = new WeakMap<SnapshotEvent, Map<string, Promise<ExecutionSnapshot | null>>>();
  let reads = 0;
  return {
    get reads() {
      return reads;
    },
    load(prisma, event, organizationId, query) {
      const covered = includeCovers(SNAPSHOT_INCLUDE, query);
      const key = covered ? organizationId : `${organizationId} ${JSON.stringify(query)}`;
      let forEvent = byEvent.get(event);
      if (!forEvent) {
        forEvent = new Map();
        byEvent.set(event, forEvent);
      }
      const cached = forEvent.get(key);
      if (cached) return cached;
      reads += 1;
      const where = { id: event.executionId, organizationId };
      const read = (
        covered
          ? prisma.toolExecution.findFirst({ include: SNAPSHOT_INCLUDE, where })
          : (prisma.toolExecution.findFirst({ ...query, where }) as Promise<ExecutionSnapshot | null>)
      ).catch((error: unknown) => {
        // A failed read is not kept: subscribers still resolving this event try again.
        if (forEvent.get(key) === read) forEvent.delete(key);
        throw error;
      });
      forEvent.set(key, read);
      return read;
    },
  };
}

/** Process-wide: events are per process, and so is the sharing. */
export const executionSnapshots = createExecutionSnapshots();
