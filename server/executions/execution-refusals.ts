/**
 * Why a resolved request must not run: an archived or inactive tool, a disabled
 * assignment, a trigger context the tool does not allow, invalid parameters,
 * or an exhausted rate limit. Refusals are recorded as executions.
 */
import type { ExecutionStatus } from '../db/generated/prisma/client.ts';
import type { ExecutionErrorCode } from '../executors/types.ts';
import type { EngineOptions } from './engine-options.ts';
import type { ExecutionRequest } from './execution-request.ts';
import type { Resolved } from './execution-resolver.ts';
import type { ParameterValidator } from './parameter-validation.ts';
import type { BucketSpec, RateLimiter } from './rate-limiter.ts';
import { ownRateLimit } from './tool-settings.ts';

export interface Refusal {
  status: ExecutionStatus;
  code: ExecutionErrorCode;
  message: string;
}

export function refusalOf(
  validator: ParameterValidator,
  resolved: Resolved,
  request: ExecutionRequest,
): Refusal | null {
  const { tool } = resolved;
  const trigger = request.context.triggerContext;
  if (resolved.isArchived) {
    return {
      status: 'ERROR',
      code: 'TOOL_ARCHIVED',
      message: `The tool "${tool.name}" is archived and cannot be used.`,
    };
  }
  if (!resolved.isActive) {
    return {
      status: 'ERROR',
      code: 'TOOL_INACTIVE',
      message: `The tool "${tool.name}" is turned off and cannot be used right now.`,
    };
  }
  if (!resolved.assignmentEnabled) {
    return {
      status: 'ERROR',
      code: 'ASSIGNMENT_DISABLED',
      message: `The tool "${tool.name}" is disabled for this assistant.`,
    };
  }
  if (!resolved.allowedContexts.includes(trigger)) {
    return {
      status: 'ERROR',
      code: 'CONTEXT_NOT_ALLOWED',
      message: `The tool "${tool.name}" cannot be used from a ${trigger} (allowed: ${resolved.allowedContexts.join(', ') || 'none'}).`,
    };
  }
  const check = validator.check(
    resolved.schemaKey ?? `${tool.id}@${tool.version}`,
    resolved.parametersSchema,
    request.parameters,
  );
  if (!check.ok) {
    return {
      status: 'ERROR',
      code: check.unusableSchema ? 'INVALID_CONFIGURATION' : 'INVALID_PARAMETERS',
      message: check.message,
    };
  }
  return null;
}

function bucketsFor(
  rateLimits: EngineOptions['rateLimits'],
  resolved: Resolved,
  request: ExecutionRequest,
): BucketSpec[] {
  const toolKey = `${request.organizationId}:${resolved.tool.id}`;
  // Tests from the dashboard have their own budget: they never eat into live calls' limits.
  if (request.context.triggerContext === 'test') return [{ key: `test:${toolKey}`, ...rateLimits.test }];
  const own = ownRateLimit(resolved.tool.configuration);
  const buckets: BucketSpec[] = [
    {
      key: `tool:${toolKey}`,
      capacity: own.burst ?? rateLimits.tool.capacity,
      refillPerSecond: own.perSecond ?? rateLimits.tool.refillPerSecond,
    },
  ];
  if (resolved.assistantId) buckets.push({ key: `assistant:${resolved.assistantId}`, ...rateLimits.assistant });
  if (request.context.callSid) {
    const perCall = own.perCall ?? rateLimits.perCall;
    // Per call and tool: a loop on one tool is stopped without starving the call's other tools.
    buckets.push({
      key: `call:${request.organizationId}:${request.context.callSid}:${resolved.tool.id}`,
      capacity: perCall,
      refillPerSecond: perCall / 60,
    });
  }
  return buckets;
}

export async function rateLimitRefusal(
  rateLimiter: RateLimiter,
  rateLimits: EngineOptions['rateLimits'],
  resolved: Resolved,
  request: ExecutionRequest,
): Promise<Refusal | null> {
  const decision = await rateLimiter.take(bucketsFor(rateLimits, resolved, request));
  if (decision.allowed) return null;
  const scope = decision.key.split(':', 1)[0];
  const seconds = Math.max(1, Math.ceil(decision.retryAfterMs / 1000));
  return {
    status: 'RATE_LIMITED',
    code: 'RATE_LIMITED',
    message: `The tool "${resolved.tool.name}" was called too often (${scope} limit). Do not call it again for ${seconds} s.`,
  };
}
