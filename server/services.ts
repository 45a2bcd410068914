import type { ResetMailer } from './auth/reset-mailer.ts';
import type { Logger } from 'pino';
import type { Alerting } from './alerting/alerting-service.ts';
import type { Config } from './config.ts';
import type { Prisma } from './db/database.ts';
import type { SqlDriver } from './db/sql-driver.ts';
import type { ResultDeliveries } from './deliveries/result-deliveries.ts';
import type { ExecutionEngine } from './executions/engine.ts';
import type { ExecutionTokens } from './executions/execution-tokens.ts';
import type { MetricsService } from './metrics/metrics-service.ts';
import type { SwitchboardPubSub } from './realtime/pubsub.ts';
import type { SecretCipher } from './security/secret-cipher.ts';
import type { SecurityEventRecorder } from './security/security-events.ts';
import type { ConfigurationValidator } from './tools/tool-service.ts';

/** Long-lived dependencies, built once by buildApp() and shared by every request. */
export interface Services {
  config: Config;
  prisma: Prisma;
  sql: SqlDriver;
  cipher: SecretCipher;
  /** Per-execution tokens for progress and callbacks (execution-tokens.ts). */
  tokens: ExecutionTokens;
  logger: Logger;
  pubsub: SwitchboardPubSub;
  validateConfiguration: ConfigurationValidator;
  engine: ExecutionEngine;
  metrics: MetricsService;
  /** Results and progress back into live calls: Vapi's control URL and the assistant's signed webhook. */
  deliveries: ResultDeliveries;
  /** The security event log: record(), onEvent() for alerting (security-events.ts). */
  securityEvents: SecurityEventRecorder;
  /** Alert rules at run time; the security event log calls `alerting.onSecurityEvent`. */
  alerting: Alerting;
  /** Password reset emails; null without SWITCHBOARD_SMTP_URL (links are then made by ADMINs). */
  resetMailer: ResetMailer | null;
}
