/**
 * Failed and throttled logins as security events. An event goes to every
 * organization the targeted user belongs to (their admins may see attacks on
 * their members); an unknown email names no organization, so nobody's log
 * shows it (operators still count it on /metrics). Throttled attempts are
 * recorded once a minute per email and address.
 */
import type { Prisma } from '../db/database.ts';
import { createEventGate } from '../security/event-gate.ts';
import { securityEventsOf } from '../security/security-events.ts';

/** A user in more organizations than this gets the event in the first ones only. */
const MAX_ORGANIZATIONS = 20;
/** A throttled client keeps trying: one event per email and address per minute is enough to see it. */
const throttledGate = createEventGate(60_000);

export async function recordLoginRefusal(
  prisma: Prisma,
  kind: 'LOGIN_FAILED' | 'LOGIN_THROTTLED',
  email: string,
  clientAddress: string,
  memberships?: { organizationId: string; userId: string }[],
): Promise<void> {
  if (kind === 'LOGIN_THROTTLED' && !throttledGate(`${email}\n${clientAddress}`)) return;
  const events = securityEventsOf(prisma);
  // Throttled attempts stop before the user is read (failed ones pass memberships): one indexed lookup names them.
  const known =
    memberships ??
    (await prisma.membership
      .findMany({ where: { user: { email } }, select: { organizationId: true, userId: true }, take: MAX_ORGANIZATIONS })
      .catch(() => []));
  const targets = known.length > 0 ? known.slice(0, MAX_ORGANIZATIONS) : [null];
  for (const membership of targets) {
    events.record({
      kind,
      organizationId: membership?.organizationId ?? null,
      actor: { type: 'address', id: clientAddress },
      subject: membership ? { type: 'user', id: membership.userId } : null,
      details: { email },
    });
  }
}
