/**
 * Accounts in Chromium against a real Switchboard on an empty instance (issue 18):
 * the first user signs up and owns a new organization, invites a teammate by
 * link, the teammate signs up from it; password change, an ADMIN-made reset
 * link, ending another browser's session, deleting an assistant, renaming the
 * organization and API key expiry.
 */
import type { Page } from 'playwright-core';
import { beforeAll, describe, expect, it } from 'vitest';
import { screenshot } from '../helpers/browser.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';

const OWNER = { name: 'Olivia Owner', email: 'olivia@example.test', password: 'first owner password' };
const TEAMMATE = { name: 'Tomás Teammate', email: 'tomas@example.test', password: 'teammate password 1' };

/** An empty instance; `ownerElsewhere` is the owner signed in a second time, in another browser context. */
const e2e = useDashboard({ pages: ['owner', 'teammate', 'ownerElsewhere'] });
let invitationLink = '';

async function signInAt(page: Page, email: string, password: string): Promise<void> {
  await page.goto(`${e2e.app.url}/login`);
  await page.getByLabel('Email').fill(email);
  await page.getByLabel('Password').fill(password);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
}

function acceptDialogs(page: Page): void {
  page.on('dialog', (dialog) => void dialog.accept());
}

beforeAll(() => {
  for (const watched of Object.values(e2e.pages)) acceptDialogs(watched.page);
});

describe('accounts', () => {
  it(
    'the first user of an empty instance signs up and owns a new organization',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/login`);
      await page.getByRole('link', { name: 'Create an account' }).click();
      await page.getByRole('heading', { name: 'Create an account' }).waitFor();
      await page.getByLabel('Your name').fill(OWNER.name);
      await page.getByLabel('Email').fill(OWNER.email);
      await page.getByLabel('Password').fill('too short');
      await page.getByLabel('Organization name').fill('Acme Voice');
      await screenshot(page, 'signup');
      await page.getByRole('button', { name: 'Create account' }).click();
      // The browser's own minlength check stops it; the server's rule says the same at the field.
      await page.getByLabel('Password').evaluate((input: HTMLInputElement) => input.removeAttribute('minlength'));
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.locator('#signup-password-error').waitFor();
      await page.getByLabel('Password').fill(OWNER.password);
      await page.getByRole('button', { name: 'Create account' }).click();
      await page.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
      await expect(page.getByTestId('role').textContent()).resolves.toBe('OWNER');
      await expect(page.getByLabel('Organization').inputValue()).resolves.not.toBe('');
    },
    TIMEOUT,
  );

  it(
    'invites a teammate by link; the teammate signs up from it and sees the organization',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/settings`);
      await page.getByRole('heading', { name: 'Members and roles' }).waitFor();
      await page.getByRole('textbox', { name: 'Email', exact: true }).fill(TEAMMATE.email);
      await page.getByRole('button', { name: 'Invite member' }).click();
      invitationLink = (await page.getByTestId('invitation-link').textContent()) ?? '';
      expect(invitationLink).toMatch(/\/invite\/sbi_/);
      await page.getByRole('cell', { name: TEAMMATE.email }).waitFor();
      await screenshot(page, 'settings-accounts');

      const invitee = e2e.pages.teammate.page;
      await invitee.goto(invitationLink);
      await expect(invitee.getByTestId('invitation-summary').textContent()).resolves.toMatch(
        /Acme Voice invites tomas@example.test to join as\s+MEMBER/,
      );
      await screenshot(invitee, 'invite');
      await invitee.getByLabel('Your name').fill(TEAMMATE.name);
      await invitee.getByLabel('Password').fill(TEAMMATE.password);
      await invitee.getByRole('button', { name: 'Create account and join' }).click();
      await invitee.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
      await expect(invitee.getByTestId('role').textContent()).resolves.toBe('MEMBER');
      await expect(invitee.locator('select[aria-label="Organization"] option').allTextContents()).resolves.toEqual([
        'Acme Voice',
      ]);

      // The link is used: opening it again says so.
      await invitee.goto(invitationLink);
      await invitee.getByText('This invitation has already been accepted.').waitFor();
    },
    TIMEOUT,
  );

  it(
    'changes the password, which the next sign-in needs',
    async () => {
      const { page } = e2e.pages.teammate;
      await page.goto(`${e2e.app.url}/settings`);
      await page.getByRole('heading', { name: 'Security' }).waitFor();
      await page.getByLabel('Current password').fill('not my password at all');
      await page.getByLabel('New password').fill('teammate password 2');
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.locator('#current-password-error').waitFor();
      await page.getByLabel('Current password').fill(TEAMMATE.password);
      await page.getByRole('button', { name: 'Change password' }).click();
      await page.getByText('Password changed. Your other sessions were signed out.').waitFor();
      await screenshot(page, 'settings-security');
      TEAMMATE.password = 'teammate password 2';
      await page.getByRole('button', { name: 'Sign out' }).first().click();
      await page.getByRole('button', { name: 'Sign in' }).waitFor();
      await signInAt(page, TEAMMATE.email, TEAMMATE.password);
    },
    TIMEOUT,
  );

  it(
    'an ADMIN-made reset link sets a new password and signs the member out everywhere',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/settings`);
      const row = page.getByRole('row', { name: new RegExp(TEAMMATE.email) }).first();
      await row.getByRole('button', { name: 'Reset link' }).click();
      const link = (await page.getByTestId('reset-link').textContent()) ?? '';
      expect(link).toMatch(/\/reset-password\/sbr_/);

      const member = e2e.pages.teammate.page;
      await member.goto(link);
      await member.getByText(`For ${TEAMMATE.email}.`).waitFor();
      await screenshot(member, 'reset-password-token');
      await member.getByLabel('New password', { exact: true }).fill('reset by my admin 1');
      await member.getByLabel('Repeat the new password').fill('reset by my admin 2');
      await member.getByRole('button', { name: 'Set new password' }).click();
      await member.locator('#confirm-password-error').waitFor();
      await member.getByLabel('Repeat the new password').fill('reset by my admin 1');
      await member.getByRole('button', { name: 'Set new password' }).click();
      await member.getByText('Your password is changed').waitFor();
      await member.goto(`${e2e.app.url}/tools`);
      await member.getByRole('button', { name: 'Sign in' }).waitFor();
      await signInAt(member, TEAMMATE.email, 'reset by my admin 1');

      await member.goto(link);
      await member.getByText('This reset link is not valid').waitFor();
      await member.goto(`${e2e.app.url}/reset-password`);
      await member.getByRole('heading', { name: 'Reset your password' }).waitFor();
      await screenshot(member, 'reset-password');
    },
    TIMEOUT,
  );

  it(
    'ending a session from the list signs that browser out',
    async () => {
      await signInAt(e2e.pages.ownerElsewhere.page, OWNER.email, OWNER.password);
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/settings`);
      await expect.poll(() => page.getByTestId('session-row').count()).toBe(2);
      const other = page.getByTestId('session-row').filter({ has: page.getByRole('button', { name: 'Sign out' }) });
      await other.getByRole('button', { name: 'Sign out' }).click();
      await expect.poll(() => page.getByTestId('session-row').count()).toBe(1);

      const signedOut = e2e.pages.ownerElsewhere.page;
      await signedOut.goto(`${e2e.app.url}/settings`);
      await signedOut.getByRole('button', { name: 'Sign in' }).waitFor();
      await page.reload();
      await page.getByRole('heading', { name: 'Security' }).waitFor();
    },
    TIMEOUT,
  );

  it(
    'deletes an assistant after confirming',
    async () => {
      const prisma = e2e.app.app.services.prisma;
      const organization = await prisma.organization.findFirstOrThrow({ where: { name: 'Acme Voice' } });
      const assistant = await prisma.assistant.create({ data: { organizationId: organization.id, name: 'Old line' } });
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/assistants/${assistant.id}`);
      await page.getByRole('heading', { name: 'Old line' }).waitFor();
      await page.getByRole('button', { name: 'Delete assistant' }).click();
      const dialog = page.getByRole('dialog');
      await dialog.getByText('Its calls and executions stay').waitFor();
      await screenshot(page, 'assistant-delete');
      await dialog.getByRole('button', { name: 'Delete', exact: true }).click();
      await page.waitForURL(`${e2e.app.url}/assistants`);
      await expect(prisma.assistant.findUnique({ where: { id: assistant.id } })).resolves.toBeNull();
    },
    TIMEOUT,
  );

  it(
    'an existing account joins a second organization only by accepting, and can leave it',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/settings`);
      await page.getByLabel('New organization').fill('Second Line');
      await page.getByRole('button', { name: 'Create organization' }).click();
      await page.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
      await expect
        .poll(() => page.locator('select[aria-label="Organization"] option').allTextContents())
        .toEqual(['Acme Voice', 'Second Line']);
      await page.goto(`${e2e.app.url}/settings`);
      await page.getByRole('textbox', { name: 'Email', exact: true }).fill(TEAMMATE.email);
      await page
        .locator('form', { has: page.getByRole('button', { name: 'Invite member' }) })
        .locator('select')
        .selectOption('VIEWER');
      await page.getByRole('button', { name: 'Invite member' }).click();
      const link = (await page.getByTestId('invitation-link').textContent()) ?? '';

      const member = e2e.pages.teammate.page;
      await member.goto(link);
      await member.getByRole('button', { name: 'Accept and join' }).waitFor();
      await screenshot(member, 'invite-signed-in');
      await member.getByRole('button', { name: 'Accept and join' }).click();
      await member.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
      await expect(member.getByTestId('role').textContent()).resolves.toBe('VIEWER');
      await expect(member.getByLabel('Organization').locator('option:checked').textContent()).resolves.toBe(
        'Second Line',
      );

      await member.goto(`${e2e.app.url}/settings`);
      await member.getByRole('button', { name: 'Leave this organization' }).click();
      await member.getByRole('heading', { name: 'Tools', exact: true }).waitFor();
      await expect
        .poll(() => member.locator('select[aria-label="Organization"] option').allTextContents())
        .toEqual(['Acme Voice']);
    },
    TIMEOUT,
  );
  it(
    'renames the organization and shows when each API key expires',
    async () => {
      const { page } = e2e.pages.owner;
      const prisma = e2e.app.app.services.prisma;
      await page.goto(`${e2e.app.url}/settings`);
      await page.getByLabel('Organization name').fill('Second Line Support');
      await page.getByRole('button', { name: 'Rename' }).click();
      await page.getByText('Organization renamed.').waitFor();
      await expect
        .poll(() => page.locator('select[aria-label="Organization"] option').allTextContents())
        .toEqual(['Acme Voice', 'Second Line Support']);
      const organization = await prisma.organization.findFirstOrThrow({ where: { name: 'Second Line Support' } });

      const keys = page.getByRole('region', { name: 'API keys' });
      const row = (name: string) => keys.getByRole('row').filter({ hasText: name });
      for (const name of ['Vapi production', 'Old pilot']) {
        await keys.getByLabel('Name', { exact: true }).fill(name);
        await keys.getByRole('button', { name: 'Create key' }).click();
        await row(name).waitFor();
      }
      const soon = new Date(Date.now() + 30 * 86_400_000);
      const where = (name: string) => ({ organizationId: organization.id, name });
      await prisma.apiKey.updateMany({ where: where('Vapi production'), data: { expiresAt: soon } });
      await prisma.apiKey.updateMany({ where: where('Old pilot'), data: { expiresAt: new Date(Date.now() - 60_000) } });
      await page.reload();
      const shown = await page.evaluate((iso) => new Date(iso).toLocaleDateString(), soon.toISOString());
      await expect.poll(() => row('Vapi production').getByRole('cell').nth(4).textContent()).toBe(shown);
      await row('Vapi production').getByRole('button', { name: 'Revoke' }).waitFor();
      await row('Old pilot').getByText('expired', { exact: true }).waitFor();
      await expect(row('Old pilot').getByRole('button', { name: 'Revoke' }).count()).resolves.toBe(0);
      await screenshot(page, 'settings-api-keys');
    },
    TIMEOUT,
  );
});
