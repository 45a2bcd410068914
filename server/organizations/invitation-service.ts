/**
 * Joining an organization takes the invitee's consent: an ADMIN invites an
 * email address with a role and gets a token to deliver (shown once), and the
 * person at that address joins only by accepting it. Inviting answers the same
 * whether the address has an account or not.
 */
import type { Actor } from '../actor.ts';
import { recordAudit } from '../audit/audit-log.ts';
import { accountableUserId } from '../auth/accountable-user.ts';
import type { Prisma } from '../db/database.ts';
import type { Invitation, Prisma as P } from '../db/generated/prisma/client.ts';
import { isUniqueViolation, isUuid } from '../db/json.ts';
import { AccessError, ConflictError, NotFoundError, ValidationError } from '../errors.ts';
import { hashPassword, MAX_PASSWORD_LENGTH, MIN_PASSWORD_LENGTH } from '../security/passwords.ts';
import { hasRole, type RoleName } from '../security/roles.ts';
import { randomToken, sha256 } from '../security/tokens.ts';
import { assertMayGrant, normalizeEmail } from './member-service.ts';

export const PENDING_INVITATIONS_PER_ORGANIZATION = 100;
/** Invitation tokens are long enough that guessing one is hopeless, and distinct from API keys and cookies. */
const TOKEN_PREFIX = 'sbi_';
const TOKEN_MAX_LENGTH = 200;

export type InvitationStatus = 'PENDING' | 'ACCEPTED' | 'DECLINED' | 'REVOKED' | 'EXPIRED';

export function invitationStatus(invitation: Invitation, now = Date.now()): InvitationStatus {
  if (invitation.acceptedAt) return 'ACCEPTED';
  if (invitation.declinedAt) return 'DECLINED';
  if (invitation.revokedAt) return 'REVOKED';
  if (invitation.expiresAt.getTime() <= now) return 'EXPIRED';
  return 'PENDING';
}

const STILL_OPEN = { acceptedAt: null, declinedAt: null, revokedAt: null } as const;

export async function inviteMember(
  prisma: Prisma,
  actor: Actor,
  input: { email: string; role: RoleName },
  ttlHours: number,
): Promise<{ invitation: Invitation; token: string }> {
  assertMayGrant(actor, input.role);
  const email = normalizeEmail(input.email);
  // Whether the address is already a member here is no secret to an ADMIN (members are listed).
  const member = await prisma.membership.findFirst({
    where: { organizationId: actor.organizationId, user: { email } },
    select: { id: true },
  });
  if (member) throw new ConflictError(`${email} is already a member`, 'email');
  const pending = await prisma.invitation.count({
    where: { organizationId: actor.organizationId, ...STILL_OPEN, expiresAt: { gt: new Date() } },
  });
  if (pending >= PENDING_INVITATIONS_PER_ORGANIZATION) {
    throw new ValidationError([
      {
        field: 'email',
        message: `an organization can have at most ${PENDING_INVITATIONS_PER_ORGANIZATION} pending invitations`,
      },
    ]);
  }
  const token = `${TOKEN_PREFIX}${randomToken(32)}`;
  const invitation = await prisma.$transaction(async (tx) => {
    // A new invitation to the same address replaces the open one: one live token per address.
    await tx.invitation.updateMany({
      where: { organizationId: actor.organizationId, email, ...STILL_OPEN },
      data: { revokedAt: new Date() },
    });
    const created = await tx.invitation.create({
      data: {
        organizationId: actor.organizationId,
        email,
        role: input.role,
        tokenHash: sha256(token),
        invitedById: await accountableUserId(tx, actor),
        expiresAt: new Date(Date.now() + ttlHours * 3_600_000),
      },
    });
    await recordAudit(tx, actor, {
      action: 'invitation.create',
      entityType: 'Invitation',
      entityId: created.id,
      after: { email, role: input.role },
    });
    return created;
  });
  return { invitation, token };
}

export async function revokeInvitation(prisma: Prisma, actor: Actor, id: string): Promise<Invitation> {
  const invitation = isUuid(id)
    ? await prisma.invitation.findFirst({ where: { id, organizationId: actor.organizationId } })
    : null;
  if (!invitation) throw new NotFoundError('Invitation');
  if (invitationStatus(invitation) !== 'PENDING') return invitation;
  return prisma.$transaction(async (tx) => {
    await tx.invitation.updateMany({ where: { id, ...STILL_OPEN }, data: { revokedAt: new Date() } });
    await recordAudit(tx, actor, {
      action: 'invitation.revoke',
      entityType: 'Invitation',
      entityId: id,
      before: { email: invitation.email, role: invitation.role },
    });
    return tx.invitation.findUniqueOrThrow({ where: { id } });
  });
}

/** The pending invitation a token names; anything else (unknown, used, revoked, expired) is one NotFoundError. */
async function openInvitation(prisma: Prisma | P.TransactionClient, token: string): Promise<Invitation> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > TOKEN_MAX_LENGTH) throw new NotFoundError('Invitation');
  const invitation = await prisma.invitation.findUnique({ where: { tokenHash: sha256(token) } });
  if (!invitation || invitationStatus(invitation) !== 'PENDING') throw new NotFoundError('Invitation');
  return invitation;
}

/**
 * An invitation never grants more than its inviter may grant now: one whose
 * inviter left or was demoted below the invited role is void.
 */
async function assertInviterStillMay(tx: P.TransactionClient, invitation: Invitation): Promise<void> {
  const inviter = invitation.invitedById
    ? await tx.membership.findUnique({
        where: { userId_organizationId: { userId: invitation.invitedById, organizationId: invitation.organizationId } },
      })
    : null;
  const role = invitation.role as RoleName;
  const may =
    inviter !== null &&
    hasRole(inviter.role as RoleName, 'ADMIN') &&
    hasRole(inviter.role as RoleName, role) &&
    (role !== 'OWNER' || inviter.role === 'OWNER');
  if (!may) throw new NotFoundError('Invitation');
}

/** Marks the invitation used, once: a second accept or decline racing this one finds it gone. */
async function close(tx: P.TransactionClient, invitation: Invitation, field: 'acceptedAt' | 'declinedAt') {
  const closed = await tx.invitation.updateMany({
    where: { id: invitation.id, ...STILL_OPEN },
    data: { [field]: new Date() },
  });
  if (closed.count === 0) throw new NotFoundError('Invitation');
}

export interface InvitationAnswer {
  invitation: Invitation;
  organizationName: string;
}

export interface Invitee {
  /** The signed-in user accepting, or null when accepting without an account. */
  userId: string | null;
  email: string | null;
}

/**
 * A signed-in user accepts an invitation to their own address; someone
 * without an account accepts by choosing a password, which creates it. An
 * address that has an account must sign in first (only the token holder
 * learns that).
 */
export async function acceptInvitation(
  prisma: Prisma,
  invitee: Invitee,
  input: { token: string; name?: string | null; password?: string | null },
  options: { expectedEmail?: string; mayCreateAccount?: boolean } = {},
): Promise<InvitationAnswer> {
  const invitation = await openInvitation(prisma, input.token);
  if (options.expectedEmail !== undefined && options.expectedEmail !== invitation.email) {
    throw new ValidationError([{ field: 'email', message: 'this invitation is for another email address' }]);
  }
  let userId = invitee.userId;
  if (userId) {
    if (invitee.email !== invitation.email) {
      throw new AccessError('FORBIDDEN', 'this invitation is for another email address');
    }
  } else if (await prisma.user.findUnique({ where: { email: invitation.email }, select: { id: true } })) {
    throw new AccessError('UNAUTHENTICATED', `sign in as ${invitation.email} to accept this invitation`);
  }
  if (!userId && options.mayCreateAccount === false) {
    throw new AccessError('FORBIDDEN', 'this instance does not accept new accounts');
  }
  const password = input.password ?? '';
  if (!userId && (password.length < MIN_PASSWORD_LENGTH || password.length > MAX_PASSWORD_LENGTH)) {
    throw new ValidationError([
      {
        field: 'password',
        message: `a new account needs a password of ${MIN_PASSWORD_LENGTH}-${MAX_PASSWORD_LENGTH} characters`,
      },
    ]);
  }
  const passwordHash = userId ? null : await hashPassword(password);
  try {
    return await prisma.$transaction(async (tx) => {
      await assertInviterStillMay(tx, invitation);
      await close(tx, invitation, 'acceptedAt');
      if (!userId) {
        const user = await tx.user.create({
          data: { email: invitation.email, name: input.name?.trim() ?? '', passwordHash: passwordHash! },
        });
        userId = user.id;
      }
      const membership = await tx.membership.create({
        data: { userId, organizationId: invitation.organizationId, role: invitation.role },
      });
      const actor: Actor = {
        organizationId: invitation.organizationId,
        role: invitation.role as RoleName,
        userId,
        apiKeyId: null,
      };
      await recordAudit(tx, actor, {
        action: 'invitation.accept',
        entityType: 'Membership',
        entityId: membership.id,
        after: { email: invitation.email, role: invitation.role },
      });
      const organization = await tx.organization.findUniqueOrThrow({ where: { id: invitation.organizationId } });
      const accepted = await tx.invitation.findUniqueOrThrow({ where: { id: invitation.id } });
      return { invitation: accepted, organizationName: organization.name };
    });
  } catch (error) {
    // Already a member (joined meanwhile), or an account created for the address meanwhile.
    if (isUniqueViolation(error)) throw new ConflictError('you are already a member of this organization', 'token');
    throw error;
  }
}

export interface InvitationPreview {
  invitation: Invitation;
  organizationName: string;
  /** Whether the invited address has an account (it signs in to accept; one without chooses a password). */
  hasAccount: boolean;
}

/**
 * What the holder of a token sees before answering: the organization, the
 * role, and whether it can still be accepted (used, revoked and expired ones
 * say so). An unknown token is a NotFoundError.
 */
export async function previewInvitation(prisma: Prisma, token: string): Promise<InvitationPreview> {
  if (!token.startsWith(TOKEN_PREFIX) || token.length > TOKEN_MAX_LENGTH) throw new NotFoundError('Invitation');
  const invitation = await prisma.invitation.findUnique({
    where: { tokenHash: sha256(token) },
    include: { organization: { select: { name: true } } },
  });
  if (!invitation) throw new NotFoundError('Invitation');
  const account = await prisma.user.findUnique({ where: { email: invitation.email }, select: { id: true } });
  const { organization, ...plain } = invitation;
  return { invitation: plain, organizationName: organization.name, hasAccount: account !== null };
}

/** Whoever holds the token may decline it; nothing about the address is revealed. */
export async function declineInvitation(prisma: Prisma, token: string): Promise<InvitationAnswer> {
  const invitation = await openInvitation(prisma, token);
  return prisma.$transaction(async (tx) => {
    await close(tx, invitation, 'declinedAt');
    const organization = await tx.organization.findUniqueOrThrow({ where: { id: invitation.organizationId } });
    const declined = await tx.invitation.findUniqueOrThrow({ where: { id: invitation.id } });
    return { invitation: declined, organizationName: organization.name };
  });
}
