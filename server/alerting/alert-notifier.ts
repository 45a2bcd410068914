/**
 * Sends one alert to one channel: a signed webhook and a Slack-compatible
 * incoming webhook go through the SSRF guard (postDelivery, as result
 * deliveries do), email over the configured SMTP server. A few quick retries
 * on answers that may change; the outcome is returned, never thrown.
 */
import { createTransport, type Transporter } from 'nodemailer';
import type { AlertChannel } from '../db/generated/prisma/client.ts';
import { postDelivery, type SendOutcome } from '../deliveries/delivery-sender.ts';
import { signWebhook } from '../deliveries/webhook-signature.ts';
import type { SecretCipher } from '../security/secret-cipher.ts';
import type { SsrfPolicy } from '../security/ssrf.ts';

export type AlertEvent = 'firing' | 'resolved' | 'test';

export interface AlertMessage {
  event: AlertEvent;
  organizationId: string;
  /** Null for a test notification. */
  incidentId: string | null;
  rule: { id: string; name: string; kind: string } | null;
  /** What fired: a tool id, or `organization` for organization-wide rules. */
  key: string;
  summary: string;
  value: number | null;
  firedAt: string;
  resolvedAt: string | null;
}

export interface NotifierDeps {
  policy: SsrfPolicy;
  cipher: SecretCipher;
  timeoutMs: number;
  smtpUrl: string | null;
  emailFrom: string;
  /** Attempts per send, the first included. */
  attempts?: number;
  retryDelayMs?: number;
}

export type NotifyOutcome =
  | { channelId: string; delivered: true }
  /** `retryable`: the receiver or the network may answer otherwise later (timeouts, 408, 429, 5xx, SMTP 4xx). */
  | { channelId: string; delivered: false; error: string; retryable: boolean };

export interface AlertNotifier {
  send(channel: AlertChannel, message: AlertMessage): Promise<NotifyOutcome>;
  close(): void;
}

const MAX_ERROR_LENGTH = 500;

function headline(message: AlertMessage): string {
  const label = message.event === 'firing' ? 'FIRING' : message.event === 'resolved' ? 'RESOLVED' : 'TEST';
  return `[${label}] ${message.rule?.name ?? 'Switchboard test alert'}: ${message.summary}`;
}

function slackBody(message: AlertMessage): string {
  const text = headline(message);
  return JSON.stringify({
    text,
    blocks: [
      { type: 'section', text: { type: 'mrkdwn', text: `*${text}*` } },
      {
        type: 'context',
        elements: [
          {
            type: 'mrkdwn',
            text: `fired ${message.firedAt}${message.resolvedAt ? `, resolved ${message.resolvedAt}` : ''}`,
          },
        ],
      },
    ],
  });
}

function emailText(message: AlertMessage): string {
  return [
    message.summary,
    '',
    `Rule: ${message.rule ? `${message.rule.name} (${message.rule.kind})` : 'test notification'}`,
    `Subject: ${message.key}`,
    ...(message.value !== null ? [`Value: ${message.value}`] : []),
    `Fired: ${message.firedAt}`,
    ...(message.resolvedAt ? [`Resolved: ${message.resolvedAt}`] : []),
  ].join('\n');
}

/**
 * The webhook body, its keys in a fixed order: a retry sends the message read back from the
 * outbox (jsonb orders keys its own way), and a receiver sees the same bytes each time.
 */
function webhookBody(message: AlertMessage): string {
  const { rule } = message;
  return JSON.stringify({
    type: `alert.${message.event}`,
    event: message.event,
    organizationId: message.organizationId,
    incidentId: message.incidentId,
    rule: rule && { id: rule.id, name: rule.name, kind: rule.kind },
    key: message.key,
    summary: message.summary,
    value: message.value,
    firedAt: message.firedAt,
    resolvedAt: message.resolvedAt,
  });
}

function bounded(error: string): string {
  return error.length > MAX_ERROR_LENGTH ? `${error.slice(0, MAX_ERROR_LENGTH - 1)}…` : error;
}

export function createAlertNotifier(deps: NotifierDeps): AlertNotifier {
  const attempts = deps.attempts ?? 3;
  const retryDelayMs = deps.retryDelayMs ?? 500;
  const closing = new AbortController();
  let mailer: Transporter | null = null;

  function post(channel: AlertChannel, message: AlertMessage): Promise<SendOutcome> {
    if (!channel.url) return Promise.resolve({ kind: 'failed', error: 'The channel has no URL' });
    const senderDeps = { policy: deps.policy, cipher: deps.cipher, timeoutMs: deps.timeoutMs };
    if (channel.kind === 'SLACK') return postDelivery(senderDeps, channel.url, {}, slackBody(message), closing.signal);
    const body = webhookBody(message);
    const headers: Record<string, string> = { 'Switchboard-Event': `alert.${message.event}` };
    if (channel.signingSecret) {
      const secret = deps.cipher.decrypt(channel.organizationId, channel.signingSecret);
      headers['Switchboard-Signature'] = signWebhook(secret, body, Math.floor(Date.now() / 1000));
    }
    return postDelivery(senderDeps, channel.url, headers, body, closing.signal);
  }

  async function mail(channel: AlertChannel, message: AlertMessage): Promise<SendOutcome> {
    if (!deps.smtpUrl) return { kind: 'failed', error: 'Email alerts need SWITCHBOARD_SMTP_URL' };
    if (!channel.email) return { kind: 'failed', error: 'The channel has no email address' };
    mailer ??= createTransport({
      url: deps.smtpUrl,
      connectionTimeout: deps.timeoutMs,
      greetingTimeout: deps.timeoutMs,
      socketTimeout: deps.timeoutMs,
    });
    try {
      await mailer.sendMail({
        from: deps.emailFrom,
        to: channel.email,
        subject: headline(message),
        text: emailText(message),
      });
      return { kind: 'delivered' };
    } catch (error) {
      const responseCode = (error as { responseCode?: number }).responseCode;
      // 5xx is the server's permanent "no"; connection failures and 4xx may pass on a retry.
      const permanent = responseCode !== undefined && responseCode >= 500;
      return { kind: permanent ? 'failed' : 'retry', error: bounded(`SMTP: ${(error as Error).message}`) };
    }
  }

  async function attempt(channel: AlertChannel, message: AlertMessage): Promise<SendOutcome> {
    try {
      return channel.kind === 'EMAIL' ? await mail(channel, message) : await post(channel, message);
    } catch (error) {
      return { kind: 'retry', error: bounded((error as Error).message) };
    }
  }

  return {
    async send(channel, message) {
      let outcome: SendOutcome = { kind: 'failed', error: 'not sent' };
      for (let tried = 1; tried <= attempts; tried++) {
        outcome = await attempt(channel, message);
        if (outcome.kind !== 'retry' || tried === attempts || closing.signal.aborted) break;
        await new Promise((resolve) => setTimeout(resolve, retryDelayMs * 2 ** (tried - 1)));
      }
      if (outcome.kind === 'delivered') return { channelId: channel.id, delivered: true };
      const error = 'error' in outcome ? outcome.error : 'The server was closing';
      return {
        channelId: channel.id,
        delivered: false,
        error,
        retryable: outcome.kind === 'retry' || outcome.kind === 'released',
      };
    },
    close() {
      closing.abort();
      mailer?.close();
    },
  };
}
