/**
 * One span per GraphQL operation (HTTP, REST and WebSocket alike): "query Name",
 * with the operation's name and type and the viewer's organization, active while
 * it executes so the executions it starts become its children. An incoming
 * `traceparent` makes it a child of the caller's span.
 *
 * Our own plugin rather than `@envelop/opentelemetry`: that one still depends on
 * the 1.x SDK (`@opentelemetry/sdk-trace-base` ^1.11), adds a span per resolver
 * by default, and cannot know our viewer's organization.
 */
import { context, SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { getOperationAST, type DocumentNode } from 'graphql';
import type { Plugin } from 'graphql-yoga';
import type { Context } from '../context.ts';
import { EXECUTION_ATTRIBUTES } from '../executions/execution-span.ts';
import { incomingContext } from '../tracing/trace-context.ts';
import { tracer } from '../tracing/tracer.ts';

/** Yoga adds the Fetch request to the context of HTTP operations. */
type OperationContext = Context & { request?: Request };

export function operationSpans(): Plugin<Context> {
  return {
    onExecute({ args, executeFn, setExecuteFn }) {
      const operation = getOperationAST(args.document as DocumentNode, args.operationName);
      const type = operation?.operation ?? 'query';
      const name = operation?.name?.value;
      const request = (args.contextValue as OperationContext).request;
      const parent = request ? incomingContext(request.headers, context.active()) : context.active();
      const organizationId = args.contextValue.viewer?.actor.organizationId;
      const span = tracer().startSpan(
        name ? `${type} ${name}` : type,
        {
          kind: SpanKind.SERVER,
          attributes: {
            'graphql.operation.type': type,
            ...(name && { 'graphql.operation.name': name }),
            ...(organizationId && { [EXECUTION_ATTRIBUTES.organization]: organizationId }),
          },
        },
        parent,
      );
      const active = trace.setSpan(parent, span);
      setExecuteFn((executeArgs) => context.with(active, () => executeFn(executeArgs)));
      return {
        onExecuteDone({ result }) {
          if ('errors' in result && result.errors && result.errors.length > 0) {
            // The code, not the message: errors may not be masked yet here, and the collector is not the client.
            const code = result.errors[0]?.extensions?.code;
            span.setStatus({ code: SpanStatusCode.ERROR, message: typeof code === 'string' ? code : 'INTERNAL_ERROR' });
          }
          span.end();
        },
      };
    },
  };
}
