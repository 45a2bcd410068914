/**
 * Where an organization's alerts go: a signed webhook, a Slack-compatible
 * incoming webhook, or an email address. A webhook's signing secret is sealed
 * with the secret cipher and shown only when the channel is made.
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Prisma } from '../db/database.ts';
import type { AlertChannel, AlertChannelKind } from '../db/generated/prisma/client.ts';
import { isUuid } from '../db/json.ts';
import { deliveryUrl, MAX_DELIVERY_URL_LENGTH } from '../deliveries/delivery-url.ts';
import { newCallbackSecret } from '../deliveries/webhook-signature.ts';
import { ConflictError, NotFoundError, ValidationError, type FieldIssue } from '../errors.ts';
import type { SecretCipher } from '../security/secret-cipher.ts';

export const MAX_CHANNELS_PER_ORGANIZATION = 50;
export const MAX_ALERT_NAME_LENGTH = 100;
const MAX_EMAIL_LENGTH = 254;
/** Deliberately loose: the SMTP server is the judge; this only refuses what cannot be an address. */
const EMAIL_SHAPE = /^[^\s@<>,;"]+@[^\s@<>,;"]+\.[^\s@<>,;"]+$/;

export interface AlertChannelDeps {
  prisma: Prisma;
  cipher: SecretCipher;
}

export interface AlertChannelInput {
  name: string;
  kind: AlertChannelKind;
  url?: string | null;
  email?: string | null;
}

export interface CreatedAlertChannel {
  channel: AlertChannel;
  /** WEBHOOK: the signing secret, shown only now. */
  signingSecret: string | null;
}

export function validName(name: string, field = 'name'): string {
  const trimmed = name.trim();
  if (trimmed.length === 0 || trimmed.length > MAX_ALERT_NAME_LENGTH) {
    throw new ValidationError([{ field, message: `must be 1 to ${MAX_ALERT_NAME_LENGTH} characters` }]);
  }
  return trimmed;
}

function destinationOf(input: AlertChannelInput): { url: string | null; email: string | null } {
  const issues: FieldIssue[] = [];
  let url: string | null = null;
  let email: string | null = null;
  if (input.kind === 'EMAIL') {
    email = input.email?.trim() ?? '';
    if (email.length > MAX_EMAIL_LENGTH || !EMAIL_SHAPE.test(email)) {
      issues.push({ field: 'email', message: 'must be an email address' });
    }
  } else {
    url = deliveryUrl(input.url?.trim());
    if (url === null) {
      issues.push({
        field: 'url',
        message: `must be an http(s) URL without credentials, at most ${MAX_DELIVERY_URL_LENGTH} characters`,
      });
    }
  }
  if (issues.length > 0) throw new ValidationError(issues);
  return { url, email };
}

export async function createAlertChannel(
  deps: AlertChannelDeps,
  actor: Actor,
  input: AlertChannelInput,
): Promise<CreatedAlertChannel> {
  const name = validName(input.name);
  const destination = destinationOf(input);
  const count = await deps.prisma.alertChannel.count({ where: { organizationId: actor.organizationId } });
  if (count >= MAX_CHANNELS_PER_ORGANIZATION) {
    throw new ConflictError(`an organization has at most ${MAX_CHANNELS_PER_ORGANIZATION} alert channels`);
  }
  const signingSecret = input.kind === 'WEBHOOK' ? newCallbackSecret() : null;
  const channel = await deps.prisma.$transaction(async (tx) => {
    const created = await tx.alertChannel.create({
      data: {
        organizationId: actor.organizationId,
        name,
        kind: input.kind,
        ...destination,
        ...(signingSecret !== null && {
          signingSecret: deps.cipher.encrypt(actor.organizationId, signingSecret),
        }),
      },
    });
    await recordAudit(tx, actor, {
      action: 'alertChannel.create',
      entityType: 'AlertChannel',
      entityId: created.id,
      after: { name, kind: input.kind, ...destination },
    });
    return created;
  });
  return { channel, signingSecret };
}

export async function findAlertChannel(prisma: Prisma, actor: Actor, id: string): Promise<AlertChannel> {
  const channel = isUuid(id)
    ? await prisma.alertChannel.findFirst({ where: { id, organizationId: actor.organizationId } })
    : null;
  if (!channel) throw new NotFoundError('AlertChannel');
  return channel;
}

export async function deleteAlertChannel(deps: AlertChannelDeps, actor: Actor, id: string): Promise<AlertChannel> {
  const channel = await findAlertChannel(deps.prisma, actor, id);
  await deps.prisma.$transaction(async (tx) => {
    await tx.alertChannel.delete({ where: { id: channel.id } });
    await recordAudit(tx, actor, {
      action: 'alertChannel.delete',
      entityType: 'AlertChannel',
      entityId: channel.id,
      before: { name: channel.name, kind: channel.kind },
    });
  });
  return channel;
}
