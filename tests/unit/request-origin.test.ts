import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { requestOrigin } from '../../server/http/request-origin.ts';

function request(remoteAddress: string, headers: Record<string, string> = {}, encrypted = false): IncomingMessage {
  return { socket: { remoteAddress, encrypted }, headers } as unknown as IncomingMessage;
}

describe('requestOrigin', () => {
  test('the Host header and the connection’s own TLS, forwarded headers ignored from anyone else', () => {
    const forged = {
      host: 'switchboard.internal:4000',
      'x-forwarded-host': 'evil.example',
      'x-forwarded-proto': 'https',
    };
    expect(requestOrigin(request('203.0.113.5', forged), [])).toBe('http://switchboard.internal:4000');
    expect(requestOrigin(request('203.0.113.5', { host: '[::1]:4000' }, true), [])).toBe('https://[::1]:4000');
  });

  test('behind a trusted proxy the forwarded host and protocol count', () => {
    const headers = {
      host: '10.0.0.9:4000',
      'x-forwarded-host': 'sb.example.com, other',
      'x-forwarded-proto': 'https',
    };
    expect(requestOrigin(request('10.0.0.2', headers), ['10.0.0.2'])).toBe('https://sb.example.com');
  });

  test('no host, or one that is not a host, gives null', () => {
    expect(requestOrigin(request('203.0.113.5'), [])).toBeNull();
    expect(requestOrigin(request('203.0.113.5', { host: 'a.example/path?x' }), [])).toBeNull();
    expect(requestOrigin(request('203.0.113.5', { host: 'a.example@evil' }), [])).toBeNull();
  });
});
