import type { IncomingMessage } from 'node:http';
import { describe, expect, test } from 'vitest';
import { clientConnection } from '../../server/http/client-address.ts';

function request(remoteAddress: string, headers: Record<string, string> = {}, encrypted = false): IncomingMessage {
  return { socket: { remoteAddress, encrypted }, headers } as unknown as IncomingMessage;
}

describe('clientConnection', () => {
  test('without a trusted proxy the forwarded headers are ignored', () => {
    const req = request('203.0.113.5', { 'x-forwarded-for': '198.51.100.1', 'x-forwarded-proto': 'https' });
    expect(clientConnection(req, [])).toEqual({ address: '203.0.113.5', tls: false });
    expect(clientConnection(request('::ffff:203.0.113.5', {}, true), [])).toEqual({
      address: '203.0.113.5',
      tls: true,
    });
  });

  test('behind trusted proxies the nearest untrusted hop is the client; spoofed hops to its left are ignored', () => {
    const req = request('10.0.0.2', {
      'x-forwarded-for': '6.6.6.6, 198.51.100.7, 10.0.0.1',
      'x-forwarded-proto': 'https',
    });
    expect(clientConnection(req, ['10.0.0.1', '10.0.0.2'])).toEqual({ address: '198.51.100.7', tls: true });
    expect(clientConnection(request('10.0.0.2', { 'x-forwarded-proto': 'http' }, true), ['10.0.0.2']).tls).toBe(false);
  });
});
