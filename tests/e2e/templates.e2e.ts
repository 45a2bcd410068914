/**
 * Installing a built-in template in Chromium: the Twilio SMS template asks for its secrets right after install,
 * they are set from that step, and the tool then sends Twilio's form-encoded request (to a receiver on 127.0.0.1
 * standing in for api.twilio.com). A template installed without its secrets warns on the tool page.
 */
import { describe, expect, it } from 'vitest';
import { screenshot, signIn } from '../helpers/browser.ts';
import { E2E_TIMEOUT as TIMEOUT, useDashboard } from '../helpers/dashboard-e2e.ts';
import { startServiceStandIn, type ServiceStandIn } from '../helpers/service-stand-in.ts';

const TWILIO = {
  TWILIO_ACCOUNT_SID: 'AC5ef8732a3c49700934481addd5ce1659',
  TWILIO_AUTH_TOKEN: 'e2e-auth-token',
  TWILIO_FROM_NUMBER: '+15557770000',
};

let twilio: ServiceStandIn;

const e2e = useDashboard({
  env: { SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: '127.0.0.1' },
  organization: 'Templates E2E',
  async before({ track }) {
    twilio = track(await startServiceStandIn());
    twilio.reply(201, { sid: 'SM0001', status: 'queued' });
  },
});

describe('templates', () => {
  it(
    'installs the Twilio template, sets its secrets from the step that follows, and sends an SMS request',
    async () => {
      const { page } = e2e.pages.owner;
      await signIn(page, e2e.app.url, e2e.org.users.OWNER, { path: '/marketplace', heading: 'Marketplace' });
      await page.getByRole('button', { name: 'Use template Send SMS (Twilio)' }).click();
      await page
        .getByRole('form', { name: 'Install Send SMS (Twilio)' })
        .getByRole('button', { name: 'Install' })
        .click();
      const step = page.getByTestId('secrets-step');
      await step.getByRole('heading', { name: 'Set these secrets now' }).waitFor();
      for (const name of Object.keys(TWILIO)) await step.getByLabel(name, { exact: true }).waitFor();
      await expect(step.textContent()).resolves.toContain('Twilio Console');
      await screenshot(page, 'template-secrets-step');

      for (const [name, value] of Object.entries(TWILIO)) {
        const row = step.locator('li', { has: page.getByLabel(name, { exact: true }) });
        await row.getByLabel(name, { exact: true }).fill(value);
        await row.getByRole('button', { name: 'Save' }).click();
        await row.waitFor({ state: 'detached' });
      }
      await step.getByText('All set.').waitFor();
      expect(await page.content()).not.toContain(TWILIO.TWILIO_AUTH_TOKEN);
      const stored = await e2e.app.db.database.prisma.secret.findMany({ where: { organizationId: e2e.org.id } });
      expect(stored.map((secret) => secret.name).sort()).toEqual(Object.keys(TWILIO));

      // Test-only: the installed tool's origin points at the stand-in for api.twilio.com.
      const tool = await e2e.app.db.database.prisma.tool.findFirstOrThrow({
        where: { organizationId: e2e.org.id, name: 'send_sms' },
      });
      const configuration = tool.configuration as { url: string };
      expect(configuration.url).toBe(
        'https://api.twilio.com/2010-04-01/Accounts/${secrets.TWILIO_ACCOUNT_SID}/Messages.json',
      );
      const updated = await e2e.app.gql<{ updateTool: { __typename: string } }>(
        `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { __typename } }`,
        {
          input: {
            id: tool.id,
            configuration: { ...configuration, url: configuration.url.replace('https://api.twilio.com', twilio.url) },
          },
        },
        { apiKey: e2e.org.keys.OWNER },
      );
      expect(updated.data?.updateTool.__typename).toBe('Tool');

      await step.getByRole('link', { name: 'Open send_sms' }).click();
      await page.getByRole('heading', { name: 'Send SMS (Twilio)' }).waitFor();
      await expect(page.getByTestId('missing-secrets').count()).resolves.toBe(0);
      await page
        .getByRole('form', { name: 'Test tool' })
        .getByLabel('message')
        .fill('Your table for two is booked at 7pm.');
      await page.getByText('Call context (optional)').click();
      await page.getByLabel('Phone number').fill('+15550001111');
      await page.getByRole('button', { name: 'Run test' }).click();
      await expect(page.getByTestId('execution-status').textContent()).resolves.toBe('SUCCESS');
      const recorded = await page.getByTestId('execution-request').textContent();
      expect(recorded).toContain('application/x-www-form-urlencoded');
      expect(recorded).toContain('From=[REDACTED]');
      expect(recorded).not.toContain(TWILIO.TWILIO_AUTH_TOKEN);
      await screenshot(page, 'template-twilio-test');

      // The tool builder shows (and keeps on save) the form encoding.
      await page.goto(`${e2e.app.url}/tools/${tool.id}/edit`);
      await page
        .getByRole('list', { name: 'Steps' })
        .getByRole('button', { name: /Configuration/ })
        .click();
      await expect(page.getByLabel('Body encoding').inputValue()).resolves.toBe('form');

      expect(twilio.seen).toHaveLength(1);
      const [request] = twilio.seen;
      expect(request!.method).toBe('POST');
      expect(request!.path).toBe(`/2010-04-01/Accounts/${TWILIO.TWILIO_ACCOUNT_SID}/Messages.json`);
      expect(request!.headers['content-type']).toBe('application/x-www-form-urlencoded');
      expect(request!.headers.authorization).toBe(
        `Basic ${Buffer.from(`${TWILIO.TWILIO_ACCOUNT_SID}:${TWILIO.TWILIO_AUTH_TOKEN}`).toString('base64')}`,
      );
      expect(Object.fromEntries(new URLSearchParams(request!.body))).toEqual({
        To: '+15550001111',
        From: TWILIO.TWILIO_FROM_NUMBER,
        Body: 'Your table for two is booked at 7pm.',
      });
    },
    TIMEOUT,
  );

  it(
    'skipping the step leaves a warning on the tool until the secret is set',
    async () => {
      const { page } = e2e.pages.owner;
      await page.goto(`${e2e.app.url}/marketplace`);
      await page.getByRole('button', { name: 'Use template Post to Slack' }).click();
      await page.getByRole('form', { name: 'Install Post to Slack' }).getByRole('button', { name: 'Install' }).click();
      const step = page.getByTestId('secrets-step');
      await step.getByLabel('SLACK_WEBHOOK_URL', { exact: true }).waitFor();
      await step.getByRole('button', { name: 'Skip for now' }).click();
      await step.waitFor({ state: 'detached' });
      await page.getByTestId('installed').getByRole('link', { name: 'Open notify_slack' }).click();
      const warning = page.getByTestId('missing-secrets');
      await warning.waitFor();
      await expect(warning.textContent()).resolves.toContain('SLACK_WEBHOOK_URL');
      await screenshot(page, 'template-missing-secret');
    },
    TIMEOUT,
  );
});
