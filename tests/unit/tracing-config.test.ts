import { describe, expect, test } from 'vitest';
import { ConfigError, loadConfig } from '../../server/config.ts';

describe('tracing configuration', () => {
  test('off, with the default service name, when no OTLP endpoint is set', () => {
    expect(loadConfig({}).tracing).toEqual({ tracesUrl: null, serviceName: 'switchboard' });
  });

  test('OTEL_EXPORTER_OTLP_ENDPOINT is a base URL that gets /v1/traces', () => {
    expect(loadConfig({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318/' }).tracing.tracesUrl).toBe(
      'http://collector:4318/v1/traces',
    );
  });

  test('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is used as it is, and wins', () => {
    const config = loadConfig({
      OTEL_EXPORTER_OTLP_ENDPOINT: 'http://collector:4318',
      OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'https://traces.example/otlp/spans',
      OTEL_SERVICE_NAME: 'switchboard-eu',
    });
    expect(config.tracing).toEqual({ tracesUrl: 'https://traces.example/otlp/spans', serviceName: 'switchboard-eu' });
  });

  test.each([
    [{ OTEL_EXPORTER_OTLP_ENDPOINT: 'collector:4318' }, /OTEL_EXPORTER_OTLP_ENDPOINT must use http: or https:/],
    [{ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'not a url' }, /OTEL_EXPORTER_OTLP_TRACES_ENDPOINT is not a valid URL/],
    [{ OTEL_SERVICE_NAME: 'x'.repeat(256) }, /OTEL_SERVICE_NAME is longer than 255/],
  ])('refuses %o', (env, message) => {
    expect(() => loadConfig(env)).toThrow(ConfigError);
    expect(() => loadConfig(env)).toThrow(message);
  });
});
