/**
 * Creating an account, per the operator's policy (SWITCHBOARD_SIGNUP): `open`
 * lets anyone create an account with an organization of their own, `invite`
 * only the holder of an invitation (who joins that organization), `closed`
 * nobody. The first account of an instance without users may always be
 * created, and becomes the OWNER of a new organization.
 */
import type { SignUpPolicy } from '../config.ts';
import type { Prisma } from '../db/database.ts';
import { isUniqueViolation } from '../db/json.ts';
import { AccessError, ConflictError, ValidationError } from '../errors.ts';
import { acceptInvitation } from '../organizations/invitation-service.ts';
import { normalizeEmail } from '../organizations/member-service.ts';
import { checkOrganizationName, createOwnedOrganization } from '../organizations/organization-service.ts';
import { checkNewPassword, hashPassword } from '../security/passwords.ts';
import { createAttemptLimit } from './attempt-limit.ts';

export const USER_NAME_MAX = 100;
/** Sign-ups per client address per hour: enough for an office behind one address, not for a script. */
export const SIGN_UPS_PER_ADDRESS = 20;
const signUps = createAttemptLimit('sign-up', SIGN_UPS_PER_ADDRESS, 3600, 'sign-ups from this address');
/** Any constant key: only serialises the "is this the first user?" check with the insert that follows. */
const FIRST_USER_LOCK = 727_001;

export interface SignUpInput {
  email: string;
  password: string;
  name?: string | null;
  organizationName?: string | null;
  invitationToken?: string | null;
}

export interface SignedUp {
  userId: string;
  organizationId: string;
  /** Whether this was the instance's first account. */
  first: boolean;
}

function checkName(name: string | null | undefined): string {
  const trimmed = name?.trim() ?? '';
  if (trimmed.length > USER_NAME_MAX) {
    throw new ValidationError([{ field: 'name', message: `must be at most ${USER_NAME_MAX} characters` }]);
  }
  return trimmed;
}

function refuse(policy: SignUpPolicy): never {
  throw new AccessError(
    'FORBIDDEN',
    policy === 'closed'
      ? 'this instance does not accept new accounts'
      : 'new accounts need an invitation on this instance: ask an admin for a link',
  );
}

/** What the sign-up screen offers: whether a new account needs an invitation, or is possible at all. */
export async function effectiveSignUpPolicy(prisma: Prisma, policy: SignUpPolicy): Promise<SignUpPolicy> {
  if (policy === 'open') return policy;
  return (await prisma.user.findFirst({ select: { id: true } })) ? policy : 'open';
}

export async function signUp(
  prisma: Prisma,
  policy: SignUpPolicy,
  input: SignUpInput,
  clientAddress = 'unknown',
): Promise<SignedUp> {
  await signUps.consume(clientAddress);
  const email = normalizeEmail(input.email);
  const name = checkName(input.name);
  checkNewPassword(input.password);
  if (input.invitationToken) {
    if (policy === 'closed') throw new AccessError('FORBIDDEN', 'this instance does not accept new accounts');
    const answer = await acceptInvitation(
      prisma,
      { userId: null, email: null },
      { token: input.invitationToken, name, password: input.password },
      { expectedEmail: email },
    );
    const user = await prisma.user.findUniqueOrThrow({ where: { email }, select: { id: true } });
    return { userId: user.id, organizationId: answer.invitation.organizationId, first: false };
  }
  const organizationName = checkOrganizationName(input.organizationName ?? '', 'organizationName');
  // Refused before the slow hash, so refused sign-ups cost no scrypt; the transaction checks again under the lock.
  if (policy !== 'open' && (await prisma.user.findFirst({ select: { id: true } }))) refuse(policy);
  const passwordHash = await hashPassword(input.password);
  try {
    return await prisma.$transaction(async (tx) => {
      await tx.$executeRaw`SELECT pg_advisory_xact_lock(${FIRST_USER_LOCK})`;
      const first = (await tx.user.findFirst({ select: { id: true } })) === null;
      if (!first && policy !== 'open') refuse(policy);
      const user = await tx.user.create({ data: { email, name, passwordHash } });
      const organization = await createOwnedOrganization(tx, user.id, organizationName);
      return { userId: user.id, organizationId: organization.id, first };
    });
  } catch (error) {
    if (isUniqueViolation(error))
      throw new ConflictError('an account with this email exists: sign in instead', 'email');
    throw error;
  }
}
