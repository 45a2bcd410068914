import pino, { type DestinationStream, type Logger } from 'pino';

/** Structured logs; anything that could carry a credential is censored at the source. */
export function createLogger(level: string, destination?: DestinationStream): Logger {
  const options: pino.LoggerOptions = {
    level,
    redact: {
      paths: [
        'req.headers.authorization',
        'req.headers.cookie',
        'req.headers["x-csrf-token"]',
        'req.headers["x-vapi-secret"]',
        'req.headers["x-switchboard-secret"]',
        '*.password',
        '*.secret',
        '*.secrets',
        '*.token',
        '*.apiKey',
        '*.key',
        '*.value',
        'variables.input.password',
        'variables.input.value',
      ],
      censor: '[REDACTED]',
    },
  };
  return destination ? pino(options, destination) : pino(options);
}
