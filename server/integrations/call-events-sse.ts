/**
 * `GET /v1/calls/:callId/events`: one call's live channel as Server-Sent
 * Events for agents that hold a connection (LiveKit, Pipecat, OpenAI
 * Realtime); the same events as the `callEvents` subscription, on the same
 * bounded, re-authorized stream, closed after the call's end.
 */
import { once } from 'node:events';
import type { ServerResponse } from 'node:http';
import { stillViewer, type Credentials, type Viewer } from '../auth/viewer.ts';
import type { Context } from '../context.ts';
import { AccessError, NotFoundError } from '../errors.ts';
import { openCallEvents, untilCallEnded, type CallEvent } from '../realtime/call-events.ts';
import { liveBoundedStream } from '../schema/live-stream.ts';
import type { Services } from '../services.ts';
import { MAX_EXTERNAL_ID_LENGTH } from '../calls/call-sessions.ts';

/** Below the idle timeouts of common proxies (60 s), so an idle stream is not cut. */
const KEEP_ALIVE_MS = 15_000;

/** What an SSE client receives for an event: the execution as stored when the event is sent. */
async function payloadOf(services: Services, organizationId: string, event: CallEvent): Promise<object> {
  if (event.kind === 'call_ended') return event;
  const execution = await services.prisma.toolExecution.findFirst({
    where: { id: event.execution.executionId, organizationId },
    select: {
      id: true,
      toolId: true,
      toolName: true,
      status: true,
      inputParameters: true,
      outputResult: true,
      errorCode: true,
      errorMessage: true,
      retryCount: true,
      startedAt: true,
      completedAt: true,
      durationMs: true,
    },
  });
  return {
    kind: event.kind,
    callId: event.callId,
    at: event.at,
    executionId: event.execution.executionId,
    status: event.execution.status,
    ...(event.kind === 'progress' && { message: event.execution.message, sequence: event.execution.sequence }),
    execution,
  };
}

function frame(event: string, data: unknown): string {
  return `event: ${event}\ndata: ${JSON.stringify(data)}\n\n`;
}

export async function streamCallEvents(
  res: ServerResponse,
  services: Services,
  viewer: Viewer,
  credentials: Credentials,
  externalId: string,
): Promise<void> {
  const { organizationId } = viewer.actor;
  const call =
    externalId.length <= MAX_EXTERNAL_ID_LENGTH
      ? await services.prisma.call.findUnique({
          where: { organizationId_callSid: { organizationId, callSid: externalId } },
          select: { id: true, organizationId: true },
        })
      : null;
  if (!call) throw new NotFoundError('Call');

  const context: Context = {
    viewer,
    services,
    csrfVerified: false,
    session: { start: () => {}, clear: () => {} },
    // SSE has no close codes: the stream is cut, and the client reconnects when it can keep up.
    onSlowConsumer: () => res.destroy(),
    reauthorize: () => stillViewer(services.prisma, credentials, viewer),
  };
  const events = untilCallEnded(
    liveBoundedStream(context, 'callEvents', (hooks) =>
      openCallEvents(
        {
          prisma: services.prisma,
          pubsub: services.pubsub,
          onError: (error) => services.logger.error({ err: error }, 'call events: reading the call failed'),
        },
        call,
        hooks,
      ),
    ),
  );
  res.writeHead(200, {
    'content-type': 'text/event-stream; charset=utf-8',
    'cache-control': 'no-cache, no-transform',
    connection: 'keep-alive',
    'x-accel-buffering': 'no',
  });
  res.write(': connected\n\n');
  const keepAlive = setInterval(() => {
    if (!res.destroyed) res.write(': keep-alive\n\n');
  }, KEEP_ALIVE_MS);
  keepAlive.unref();
  // A client gone while this loop waits for its socket to drain must not hold the stream open.
  const gone = new AbortController();
  const stop = (): void => {
    gone.abort();
    void events.return?.();
  };
  res.once('close', stop);
  try {
    for await (const event of events) {
      const payload = await payloadOf(services, organizationId, event);
      if (res.destroyed) break;
      const written = res.write(frame(event.kind, payload));
      // A client that does not read holds this loop, so its queue fills and it is cut like any slow subscriber.
      if (!written && !res.destroyed) await once(res, 'drain', { signal: gone.signal });
    }
  } catch (error) {
    // A revoked credential says why; anything else is ours to log, not the client's to read.
    const known = error instanceof AccessError;
    if (!known && !res.destroyed) services.logger.warn({ err: error }, 'call events: stream ended with an error');
    const body = known
      ? { code: error.code, message: error.message }
      : { code: 'INTERNAL', message: 'the stream failed' };
    if (!res.destroyed) res.write(frame('error', { error: body }));
  } finally {
    clearInterval(keepAlive);
    res.off('close', stop);
    if (!res.destroyed) res.end();
  }
}
