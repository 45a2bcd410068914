/** Password reset emails over the SMTP server alert emails use (SWITCHBOARD_SMTP_URL), with nodemailer. */
import { createTransport, type Transporter } from 'nodemailer';
import type { ResetLink } from './password-reset.ts';

export interface ResetMailer {
  send(to: string, link: ResetLink): Promise<void>;
  /** Waits for sends in flight (each bounded by the SMTP timeouts), then closes the connection. */
  close(): Promise<void>;
}

export function createResetMailer(options: {
  smtpUrl: string;
  from: string;
  /** Links in emails are built under this base (SWITCHBOARD_PUBLIC_URL or the bound address), never a request's Host. */
  baseUrl: () => string;
  timeoutMs: number;
}): ResetMailer {
  let mailer: Transporter | null = null;
  const sending = new Set<Promise<unknown>>();
  return {
    async send(to, link) {
      mailer ??= createTransport({
        url: options.smtpUrl,
        connectionTimeout: options.timeoutMs,
        greetingTimeout: options.timeoutMs,
        socketTimeout: options.timeoutMs,
      });
      const sent = mailer.sendMail({
        from: options.from,
        to,
        subject: 'Reset your Switchboard password',
        text: [
          'Someone (hopefully you) asked to reset the password of your Switchboard account.',
          '',
          `Open this link within an hour to choose a new password: ${options.baseUrl()}${link.path}`,
          '',
          'If you did not ask for it, ignore this email: your password stays as it is.',
        ].join('\n'),
      });
      sending.add(sent);
      try {
        await sent;
      } finally {
        sending.delete(sent);
      }
    },
    async close() {
      await Promise.allSettled([...sending]);
      mailer?.close();
    },
  };
}
