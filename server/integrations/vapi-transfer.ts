/**
 * Vapi's `transfer-destination-request`: sent when the model asks for a
 * transfer whose destination Vapi does not know. Switchboard knows the
 * assistant's transfer numbers (its `transfer_call` settings), so it answers
 * with the destination the call's last `transferCall` chose, else the first
 * configured number; `{ error }` when the assistant has none.
 */
import type { Prisma } from '../db/database.ts';
import type { Assistant } from '../db/generated/prisma/client.ts';
import { builtinEnabled, builtinTool, transferNumbers } from '../executions/builtins.ts';
import type { JsonValue } from '../executors/types.ts';
import { isJsonObject } from '../tools/function-definition.ts';

export type TransferDestinationAnswer =
  { destination: { type: 'number'; number: string; message: string; description?: string } } | { error: string };

const DEFAULT_MESSAGE = 'Please hold while I transfer your call.';

async function lastChosenNumber(
  prisma: Prisma,
  organizationId: string,
  callSid: string | null,
): Promise<string | null> {
  if (!callSid) return null;
  const last = await prisma.toolExecution.findFirst({
    where: { organizationId, toolName: 'transferCall', status: 'SUCCESS', call: { organizationId, callSid } },
    orderBy: { startedAt: 'desc' },
    select: { outputResult: true },
  });
  const result = last?.outputResult as JsonValue | undefined;
  const data = isJsonObject(result) && isJsonObject(result.data) ? result.data : null;
  return data && typeof data.number === 'string' ? data.number : null;
}

export async function transferDestination(
  prisma: Prisma,
  assistant: Pick<Assistant, 'organizationId' | 'toolsSettings'>,
  callSid: string | null,
): Promise<TransferDestinationAnswer> {
  const settings = assistant.toolsSettings as JsonValue;
  const configuration = builtinTool('transferCall', settings).configuration;
  const numbers = builtinEnabled(settings, 'transferCall') ? transferNumbers(configuration) : [];
  if (numbers.length === 0) return { error: 'No transfer destinations are configured for this assistant.' };
  const chosen = await lastChosenNumber(prisma, assistant.organizationId, callSid);
  // Only a number still configured: settings may have changed since the call chose it.
  const destination = numbers.find((entry) => entry.number === chosen) ?? numbers[0]!;
  const message =
    typeof configuration.message === 'string' && configuration.message.trim() !== ''
      ? configuration.message.trim()
      : DEFAULT_MESSAGE;
  return {
    destination: {
      type: 'number',
      number: destination.number,
      message,
      ...(destination.description ? { description: destination.description } : {}),
    },
  };
}
