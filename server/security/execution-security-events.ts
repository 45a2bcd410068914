/**
 * Security events read off finished executions: SSRF refusals (endpoint,
 * Lambda and sandboxed fetches alike), sandbox permission denials and memory
 * or time kills, and refused secret uses. The executors already record these
 * as error codes, so watching the finished events here keeps the executors
 * untouched. Finished events carry ids only; the rows are read back in batches.
 */
import type { Logger } from 'pino';
import type { SqlDriver } from '../db/sql-driver.ts';
import type { ExecutionEvent, SwitchboardPubSub } from '../realtime/pubsub.ts';
import { securityActor, type SecurityEventKind, type SecurityEventSink } from './security-events.ts';

const FLUSH_INTERVAL_MS = 500;
const MAX_PENDING = 5_000;

interface RefusedRow {
  id: string;
  organization_id: string;
  tool_id: string | null;
  tool_name: string;
  tool_type: string;
  error_code: string;
  user_id: string | null;
  api_key_id: string | null;
}

const WATCHED_CODES = ['SSRF_BLOCKED', 'IMPORT_NOT_ALLOWED', 'MEMORY_LIMIT', 'TIMEOUT', 'SECRET_NOT_GRANTED'];

function kindOf(row: RefusedRow): SecurityEventKind | null {
  switch (row.error_code) {
    case 'SSRF_BLOCKED':
      return 'SSRF_REFUSED';
    case 'IMPORT_NOT_ALLOWED':
      return 'SANDBOX_PERMISSION_DENIED';
    case 'MEMORY_LIMIT':
      return 'SANDBOX_MEMORY_KILL';
    // Only code runs are killed by the sandbox; an endpoint's timeout is the upstream's slowness.
    case 'TIMEOUT':
      return row.tool_type === 'CODE' ? 'SANDBOX_TIME_KILL' : null;
    case 'SECRET_NOT_GRANTED':
      return 'SECRET_USE_DENIED';
    default:
      return null;
  }
}

export interface ExecutionSecurityWatch {
  flush(): Promise<void>;
  close(): Promise<void>;
}

export function watchExecutionSecurityEvents(deps: {
  sql: SqlDriver;
  pubsub: SwitchboardPubSub;
  events: SecurityEventSink;
  logger: Logger;
}): ExecutionSecurityWatch {
  let pending: string[] = [];
  let flushing: Promise<void> = Promise.resolve();

  async function readBack(ids: string[]): Promise<void> {
    const rows = await deps.sql.query<RefusedRow>(
      `SELECT e."id", e."organization_id", e."tool_id", e."tool_name", COALESCE(t."type"::text, 'BUILTIN') AS tool_type,
              e."error_code", e."user_id", e."api_key_id"
       FROM "tool_execution_logs" e LEFT JOIN "tools" t ON t."id" = e."tool_id"
       WHERE e."id" = ANY($1::uuid[]) AND e."error_code" = ANY($2::text[])`,
      [ids, WATCHED_CODES],
    );
    for (const row of rows) {
      const kind = kindOf(row);
      if (!kind) continue;
      deps.events.record({
        kind,
        organizationId: row.organization_id,
        actor: securityActor({ userId: row.user_id, apiKeyId: row.api_key_id }),
        subject: row.tool_id ? { type: 'tool', id: row.tool_id } : null,
        details: { executionId: row.id, toolName: row.tool_name, toolType: row.tool_type, errorCode: row.error_code },
      });
    }
  }

  function flush(): Promise<void> {
    flushing = flushing.then(async () => {
      if (pending.length === 0) return;
      const ids = pending;
      pending = [];
      try {
        await readBack(ids);
      } catch (error) {
        deps.logger.warn({ err: error, count: ids.length }, 'security events: could not read back executions');
      }
    });
    return flushing;
  }

  const stopListening = deps.pubsub.onLocalPublish((topic, event) => {
    if (!topic.startsWith('executions:')) return;
    const { kind, executionId, status } = event as ExecutionEvent;
    if (kind !== 'finished' || status === 'SUCCESS') return;
    pending.push(executionId);
    if (pending.length >= MAX_PENDING) void flush();
  });
  const timer = setInterval(() => void flush(), FLUSH_INTERVAL_MS);
  timer.unref();

  return {
    flush,
    async close() {
      stopListening();
      clearInterval(timer);
      await flush();
    },
  };
}
