/**
 * Changing one's own password: the current one is required, and every other
 * session of the user ends (whoever else was signed in with the old password
 * is out). Open reset links die with the old password too.
 */
import type { Prisma } from '../db/database.ts';
import { ValidationError } from '../errors.ts';
import { checkNewPassword, hashPassword, MAX_PASSWORD_LENGTH, verifyPassword } from '../security/passwords.ts';
import { recordAccountEvent } from './account-events.ts';
import { createAttemptLimit } from './attempt-limit.ts';

/** Wrong current passwords per user per 15 minutes: a stolen session cannot brute-force the password. */
export const PASSWORD_CHANGES_PER_USER = 10;
const attempts = createAttemptLimit('password-change', PASSWORD_CHANGES_PER_USER, 15 * 60, 'password changes');

export async function changePassword(
  prisma: Prisma,
  userId: string,
  keepSessionId: string | null,
  input: { currentPassword: string; newPassword: string },
): Promise<void> {
  await attempts.consume(userId);
  checkNewPassword(input.newPassword, 'newPassword');
  const user = await prisma.user.findUniqueOrThrow({ where: { id: userId } });
  const current = input.currentPassword.slice(0, MAX_PASSWORD_LENGTH);
  if (!(await verifyPassword(current, user.passwordHash))) {
    throw new ValidationError([{ field: 'currentPassword', message: 'is not your current password' }]);
  }
  const passwordHash = await hashPassword(input.newPassword);
  await prisma.$transaction([
    prisma.user.update({ where: { id: userId }, data: { passwordHash } }),
    prisma.session.deleteMany({ where: { userId, ...(keepSessionId ? { id: { not: keepSessionId } } : {}) } }),
    prisma.passwordReset.updateMany({ where: { userId, usedAt: null }, data: { usedAt: new Date() } }),
  ]);
  await recordAccountEvent(prisma, 'PASSWORD_CHANGED', userId, { type: 'user', id: userId });
}
