/**
 * Password reset links: single use, valid for an hour, only the token's hash
 * stored. A user asks for one by email (sent when SMTP is configured; the
 * answer is the same whether the address has an account), or an ADMIN makes
 * one for a member and delivers it. Using a link sets the new password and
 * ends every session of the user.
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import type { Prisma } from '../db/database.ts';
import type { Prisma as P } from '../db/generated/prisma/client.ts';
import { isUuid } from '../db/json.ts';
import { AccessError, NotFoundError } from '../errors.ts';
import { normalizeEmail } from '../organizations/member-service.ts';
import { checkNewPassword, hashPassword } from '../security/passwords.ts';
import { hasRole, type RoleName } from '../security/roles.ts';
import { randomToken, sha256 } from '../security/tokens.ts';
import { recordAccountEvent } from './account-events.ts';
import { createAttemptLimit } from './attempt-limit.ts';

export const RESET_TTL_MS = 3_600_000;
const TOKEN_PREFIX = 'sbr_';
const TOKEN_MAX_LENGTH = 200;
/** Reset requests per address and per email per hour: enough to retry a lost email, too few to spam an inbox. */
export const RESET_REQUESTS_PER_EMAIL = 5;
export const RESET_REQUESTS_PER_ADDRESS = 30;
const byEmail = createAttemptLimit('reset-email', RESET_REQUESTS_PER_EMAIL, 3600, 'password reset requests');
const byAddress = createAttemptLimit('reset-address', RESET_REQUESTS_PER_ADDRESS, 3600, 'password reset requests');

export interface ResetLink {
  token: string;
  path: string;
  expiresAt: Date;
}

async function issue(tx: Prisma | P.TransactionClient, userId: string, createdById: string | null): Promise<ResetLink> {
  const token = `${TOKEN_PREFIX}${randomToken(32)}`;
  const expiresAt = new Date(Date.now() + RESET_TTL_MS);
  await tx.passwordReset.create({ data: { userId, tokenHash: sha256(token), createdById, expiresAt } });
  return { token, path: `/reset-password/${token}`, expiresAt };
}

export interface ResetRequestDeps {
  /** Sends the link; null when no SMTP server is configured (nothing is sent). */
  send: ((to: string, link: ResetLink) => Promise<void>) | null;
  onError: (error: unknown) => void;
}

/**
 * Sends a reset link to the address when it has an account. The work happens
 * after the answer, so neither the answer nor its timing tells whether it does.
 */
export async function requestPasswordReset(
  prisma: Prisma,
  deps: ResetRequestDeps,
  input: { email: string },
  clientAddress = 'unknown',
): Promise<void> {
  await byAddress.consume(clientAddress);
  const email = normalizeEmail(input.email);
  await byEmail.consume(email);
  const send = deps.send;
  if (!send) return;
  void (async () => {
    const user = await prisma.user.findUnique({ where: { email }, select: { id: true } });
    if (!user) return;
    await send(email, await issue(prisma, user.id, null));
  })().catch(deps.onError);
}

/**
 * Whether `actor` may make a reset link for `userId`. A link opens the whole
 * account, in every organization it belongs to, so the maker must be ADMIN in
 * each of them with a role at least the user's there (OWNERs only by OWNERs);
 * otherwise the user resets by email.
 */
async function assertMayReset(prisma: Prisma, actor: Actor, userId: string): Promise<void> {
  const targets = await prisma.membership.findMany({ where: { userId }, select: { organizationId: true, role: true } });
  if (!targets.some((membership) => membership.organizationId === actor.organizationId)) {
    throw new NotFoundError('User');
  }
  const own = actor.userId
    ? await prisma.membership.findMany({
        where: { userId: actor.userId, organizationId: { in: targets.map((target) => target.organizationId) } },
        select: { organizationId: true, role: true },
      })
    : [];
  const roleIn = new Map(own.map((membership) => [membership.organizationId, membership.role as RoleName]));
  roleIn.set(actor.organizationId, actor.role);
  for (const target of targets) {
    const mine = roleIn.get(target.organizationId);
    const theirs = target.role as RoleName;
    const may =
      mine !== undefined && hasRole(mine, 'ADMIN') && hasRole(mine, theirs) && (theirs !== 'OWNER' || mine === 'OWNER');
    if (!may) {
      throw new AccessError(
        'FORBIDDEN',
        theirs === 'OWNER' && mine === 'ADMIN'
          ? 'only an OWNER can make a reset link for an OWNER'
          : 'this member also belongs to organizations you do not administer: they can reset their password by email',
      );
    }
  }
}

/** A reset link an ADMIN hands to a member; shown once. */
export async function createPasswordResetLink(prisma: Prisma, actor: Actor, userId: string): Promise<ResetLink> {
  if (!actor.userId) throw new AccessError('FORBIDDEN', 'only a signed-in admin can make a reset link');
  if (!isUuid(userId)) throw new NotFoundError('User');
  await assertMayReset(prisma, actor, userId);
  const link = await prisma.$transaction(async (tx) => {
    const issued = await issue(tx, userId, actor.userId);
    await recordAudit(tx, actor, { action: 'user.passwordResetLink', entityType: 'User', entityId: userId });
    return issued;
  });
  await recordAccountEvent(prisma, 'PASSWORD_RESET_LINK_CREATED', userId, { type: 'user', id: actor.userId });
  return link;
}

/** Whom an unused link resets, for the reset screen; NotFoundError when it is unknown, used or expired. */
export async function findPasswordReset(prisma: Prisma | P.TransactionClient, token: string) {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > TOKEN_MAX_LENGTH) throw new NotFoundError('PasswordReset');
  const reset = await prisma.passwordReset.findUnique({
    where: { tokenHash: sha256(token) },
    include: { user: { select: { email: true } } },
  });
  if (!reset || reset.usedAt || reset.expiresAt.getTime() <= Date.now()) throw new NotFoundError('PasswordReset');
  return reset;
}

/** Sets the new password once per link and ends all the user's sessions; returns the account's email. */
export async function resetPassword(
  prisma: Prisma,
  input: { token: string; newPassword: string },
  clientAddress = 'unknown',
): Promise<{ email: string }> {
  const reset = await findPasswordReset(prisma, input.token);
  checkNewPassword(input.newPassword, 'newPassword');
  const passwordHash = await hashPassword(input.newPassword);
  const result = await prisma.$transaction(async (tx) => {
    const used = await tx.passwordReset.updateMany({
      where: { id: reset.id, usedAt: null, expiresAt: { gt: new Date() } },
      data: { usedAt: new Date() },
    });
    if (used.count === 0) throw new NotFoundError('PasswordReset');
    await tx.user.update({ where: { id: reset.userId }, data: { passwordHash } });
    await tx.session.deleteMany({ where: { userId: reset.userId } });
    // Every other open link of the user dies with the old password.
    await tx.passwordReset.updateMany({ where: { userId: reset.userId, usedAt: null }, data: { usedAt: new Date() } });
    return { email: reset.user.email };
  });
  await recordAccountEvent(
    prisma,
    'PASSWORD_RESET',
    reset.userId,
    { type: 'address', id: clientAddress },
    { link: reset.createdById ? 'admin' : 'email' },
  );
  return result;
}
