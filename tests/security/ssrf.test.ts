import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import { createServer as createTlsServer } from 'node:https';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { TLSSocket } from 'node:tls';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { guardedFetch, GuardedFetchError, type GuardedFetchOptions } from '../../server/security/guarded-fetch.ts';
import {
  createSsrfPolicy,
  isForbiddenAddress,
  parseAllowedPrivateHosts,
  type SsrfPolicy,
} from '../../server/security/ssrf.ts';

interface Recorded {
  method: string;
  url: string;
  headers: IncomingMessage['headers'];
  body: string;
}

interface TestServer {
  server: Server;
  port: number;
  requests: Recorded[];
  closedSockets: number;
}

const leftovers: Server[] = [];

async function startServer(
  host: string,
  handler: (req: IncomingMessage, res: ServerResponse, body: string) => void = (_req, res) => res.end('ok'),
  server: Server = createServer(),
): Promise<TestServer> {
  const state: TestServer = { server, port: 0, requests: [], closedSockets: 0 };
  server.on('connection', (socket) => socket.on('close', () => (state.closedSockets += 1)));
  server.on('secureConnection', (socket) => socket.on('close', () => (state.closedSockets += 1)));
  server.on('request', (req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (chunk: Buffer) => chunks.push(chunk));
    req.on('end', () => {
      const body = Buffer.concat(chunks).toString();
      state.requests.push({ method: req.method ?? '', url: req.url ?? '', headers: req.headers, body });
      handler(req, res, body);
    });
  });
  leftovers.push(server);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  state.port = (server.address() as AddressInfo).port;
  return state;
}

afterAll(async () => {
  for (const server of leftovers) {
    server.closeAllConnections();
    await new Promise((resolve) => server.close(resolve));
  }
});

const testResolver = async (hostname: string): Promise<string[]> => {
  const table: Record<string, string[]> = {
    'internal.test': ['127.0.0.1'],
    'mixed.test': ['93.184.216.34', '127.0.0.1'],
    'v6.test': ['::1'],
    'rebind.test': ['10.0.0.5'],
    'metadata.test': ['169.254.169.254'],
    'mapped.test': ['::ffff:127.0.0.1'],
    'tls.test': ['127.0.0.1'],
    'fallback.test': ['127.0.0.3', '127.0.0.1'],
  };
  const addresses = table[hostname];
  if (addresses === undefined) throw new Error(`ENOTFOUND ${hostname}`);
  return addresses;
};

let target: TestServer;
let targetV6: TestServer;
let redirector: TestServer;
let otherOrigin: TestServer;
let policy: SsrfPolicy;

function options(overrides: Partial<GuardedFetchOptions> = {}): GuardedFetchOptions {
  return {
    policy,
    signal: AbortSignal.timeout(5_000),
    maxResponseBytes: 1024 * 1024,
    maxRedirects: 3,
    resolve: testResolver,
    ...overrides,
  };
}

async function fetchError(url: string, overrides: Partial<GuardedFetchOptions> = {}): Promise<GuardedFetchError> {
  try {
    await guardedFetch({ url, method: 'GET', headers: {} }, options(overrides));
  } catch (error) {
    if (error instanceof GuardedFetchError) return error;
    throw error;
  }
  throw new Error(`expected ${url} to be refused`);
}

beforeAll(async () => {
  target = await startServer('127.0.0.1');
  targetV6 = await startServer('::1');
  otherOrigin = await startServer('127.0.0.1', (req, res) => res.end(JSON.stringify(req.headers)));
  redirector = await startServer('127.0.0.1', (req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    if (url.pathname === '/to') {
      res.writeHead(Number(url.searchParams.get('status') ?? 302), { location: url.searchParams.get('url') ?? '/' });
      res.end();
    } else if (url.pathname === '/loop') {
      res.writeHead(302, { location: '/loop' }).end();
    } else if (url.pathname === '/big') {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('x'.repeat(2048));
    } else if (url.pathname === '/big-chunked') {
      res.writeHead(200, { 'content-type': 'text/plain' });
      res.write('x'.repeat(1000));
      res.end('x'.repeat(1100));
    } else if (url.pathname === '/hang') {
      res.writeHead(200);
      res.write('partial');
    } else {
      res.writeHead(200, { 'content-type': 'application/json', 'x-test': 'yes' });
      res.end(JSON.stringify({ method: req.method, headers: req.headers }));
    }
  });
  policy = createSsrfPolicy({
    allowedPrivateHosts: [`127.0.0.1:${redirector.port}`, `127.0.0.1:${otherOrigin.port}`],
  });
});

describe('refused destinations', () => {
  const corpus = (): Array<[url: string, code: string]> => {
    const a = target.port;
    const v6 = targetV6.port;
    return [
      [`http://127.0.0.1:${a}/`, 'SSRF_BLOCKED'],
      [`http://2130706433:${a}/`, 'SSRF_BLOCKED'],
      [`http://0x7f.1:${a}/`, 'SSRF_BLOCKED'],
      [`http://0x7f000001:${a}/`, 'SSRF_BLOCKED'],
      [`http://0x7f.0x0.0x0.0x1:${a}/`, 'SSRF_BLOCKED'],
      [`http://0177.0.0.1:${a}/`, 'SSRF_BLOCKED'],
      [`http://017700000001:${a}/`, 'SSRF_BLOCKED'],
      [`http://127.1:${a}/`, 'SSRF_BLOCKED'],
      [`http://127.0.0.2:${a}/`, 'SSRF_BLOCKED'],
      [`http://0.0.0.0:${a}/`, 'SSRF_BLOCKED'],
      [`http://0:${a}/`, 'SSRF_BLOCKED'],
      [`https://127.0.0.1:${a}/`, 'SSRF_BLOCKED'],
      [`http://[::]:${a}/`, 'SSRF_BLOCKED'],
      [`http://[::1]:${v6}/`, 'SSRF_BLOCKED'],
      [`http://[0:0:0:0:0:0:0:1]:${v6}/`, 'SSRF_BLOCKED'],
      [`http://[::ffff:127.0.0.1]:${a}/`, 'SSRF_BLOCKED'],
      [`http://[::ffff:7f00:1]:${a}/`, 'SSRF_BLOCKED'],
      [`http://[0:0:0:0:0:ffff:7f00:1]:${a}/`, 'SSRF_BLOCKED'],
      [`http://[::ffff:0:7f00:1]:${a}/`, 'SSRF_BLOCKED'],
      [`http://[::127.0.0.1]:${a}/`, 'SSRF_BLOCKED'],
      [`http://[::ffff:a9fe:a9fe]/`, 'SSRF_BLOCKED'],
      [`http://[64:ff9b::7f00:1]:${a}/`, 'SSRF_BLOCKED'],
      [`http://[64:ff9b::169.254.169.254]/`, 'SSRF_BLOCKED'],
      [`http://[64:ff9b:1::a00:1]/`, 'SSRF_BLOCKED'],
      [`http://[2002:7f00:1::]:${a}/`, 'SSRF_BLOCKED'],
      [`http://[2002:a9fe:a9fe::1]/`, 'SSRF_BLOCKED'],
      [`http://[2001::1]/`, 'SSRF_BLOCKED'],
      [`http://169.254.169.254/latest/meta-data/`, 'SSRF_BLOCKED'],
      [`http://[fd00:ec2::254]/latest/meta-data/`, 'SSRF_BLOCKED'],
      [`http://[fe80::1]/`, 'SSRF_BLOCKED'],
      [`http://[fc00::1]/`, 'SSRF_BLOCKED'],
      [`http://[ff02::1]/`, 'SSRF_BLOCKED'],
      [`http://10.0.0.1/`, 'SSRF_BLOCKED'],
      [`http://10.255.255.255/`, 'SSRF_BLOCKED'],
      [`http://172.16.0.1/`, 'SSRF_BLOCKED'],
      [`http://172.31.255.254/`, 'SSRF_BLOCKED'],
      [`http://192.168.1.1/`, 'SSRF_BLOCKED'],
      [`http://100.64.0.1/`, 'SSRF_BLOCKED'],
      [`http://100.100.100.200/`, 'SSRF_BLOCKED'],
      [`http://198.18.0.1/`, 'SSRF_BLOCKED'],
      [`http://192.0.0.192/`, 'SSRF_BLOCKED'],
      [`http://192.0.2.1/`, 'SSRF_BLOCKED'],
      [`http://224.0.0.1/`, 'SSRF_BLOCKED'],
      [`http://240.0.0.1/`, 'SSRF_BLOCKED'],
      [`http://255.255.255.255/`, 'SSRF_BLOCKED'],
      [`http://localhost:${a}/`, 'SSRF_BLOCKED'],
      [`http://localhost.:${a}/`, 'SSRF_BLOCKED'],
      [`http://LOCALHOST:${a}/`, 'SSRF_BLOCKED'],
      [`http://api.localhost:${a}/`, 'SSRF_BLOCKED'],
      [`http://metadata.google.internal/computeMetadata/v1/`, 'SSRF_BLOCKED'],
      [`http://internal.test:${a}/`, 'SSRF_BLOCKED'],
      [`http://mixed.test:${a}/`, 'SSRF_BLOCKED'],
      [`http://v6.test:${v6}/`, 'SSRF_BLOCKED'],
      [`http://rebind.test/`, 'SSRF_BLOCKED'],
      [`http://metadata.test/`, 'SSRF_BLOCKED'],
      [`http://mapped.test:${a}/`, 'SSRF_BLOCKED'],
      [`http://evil@127.0.0.1:${a}/`, 'INVALID_CONFIGURATION'],
      [`http://user:pass@internal.test:${a}/`, 'INVALID_CONFIGURATION'],
      [`http://127.0.0.1:${redirector.port}@127.0.0.1:${a}/`, 'INVALID_CONFIGURATION'],
      [`file:///etc/passwd`, 'INVALID_CONFIGURATION'],
      [`gopher://127.0.0.1:${a}/_GET%20/`, 'INVALID_CONFIGURATION'],
      [`ftp://127.0.0.1:${a}/`, 'INVALID_CONFIGURATION'],
      [`ws://127.0.0.1:${a}/`, 'INVALID_CONFIGURATION'],
      [`data:text/plain,hello`, 'INVALID_CONFIGURATION'],
      [`javascript:alert(1)`, 'INVALID_CONFIGURATION'],
      [`not a url`, 'INVALID_CONFIGURATION'],
    ];
  };

  it('has a corpus of at least 40 URLs', () => {
    expect(corpus().length).toBeGreaterThanOrEqual(40);
  });

  it('refuses every URL in the corpus without sending anything', async () => {
    const outcomes: Array<[string, string]> = [];
    for (const [url] of corpus()) outcomes.push([url, (await fetchError(url)).code]);
    expect(outcomes).toEqual(corpus());
    expect(target.requests).toHaveLength(0);
    expect(targetV6.requests).toHaveLength(0);
  });

  it('refuses forbidden redirect targets at the hop', async () => {
    const hops = [
      `http://127.0.0.1:${target.port}/`,
      `http://[::1]:${targetV6.port}/`,
      `http://169.254.169.254/latest/meta-data/`,
      `http://localhost:${target.port}/`,
      `http://2130706433:${target.port}/`,
      `http://[::ffff:127.0.0.1]:${target.port}/`,
      `http://internal.test:${target.port}/`,
      `http://evil@127.0.0.1:${redirector.port}/ok`,
      `file:///etc/passwd`,
      `gopher://127.0.0.1:${target.port}/`,
    ];
    for (const hop of hops) {
      for (const status of [301, 302, 303, 307, 308]) {
        const url = `http://127.0.0.1:${redirector.port}/to?status=${status}&url=${encodeURIComponent(hop)}`;
        expect([hop, (await fetchError(url)).code]).toEqual([hop, 'SSRF_BLOCKED']);
      }
    }
    expect(target.requests).toHaveLength(0);
    expect(targetV6.requests).toHaveLength(0);
  });

  it('stops redirect loops at the limit', async () => {
    const before = redirector.requests.length;
    const error = await fetchError(`http://127.0.0.1:${redirector.port}/loop`, { maxRedirects: 4 });
    expect(error.code).toBe('INVALID_RESPONSE');
    expect(error.message).toMatch(/Too many redirects/);
    expect(redirector.requests.length - before).toBe(5);
  });
});

describe('allowed destinations', () => {
  it('reaches an allow-listed 127.0.0.1:<port>', async () => {
    const response = await guardedFetch(
      { url: `http://127.0.0.1:${redirector.port}/ok?x=1`, method: 'GET', headers: { 'X-Custom': 'a' } },
      options(),
    );
    expect(response.status).toBe(200);
    expect(response.remoteAddress).toBe('127.0.0.1');
    expect(response.url).toBe(`http://127.0.0.1:${redirector.port}/ok?x=1`);
    expect(response.headers['x-test']).toBe('yes');
    const echoed = JSON.parse(new TextDecoder().decode(response.body)) as { headers: Record<string, string> };
    expect(echoed.headers['x-custom']).toBe('a');
    expect(echoed.headers.host).toBe(`127.0.0.1:${redirector.port}`);
  });

  it('allows only the listed port of an allow-listed address', async () => {
    expect((await fetchError(`http://127.0.0.1:${target.port}/`)).code).toBe('SSRF_BLOCKED');
  });

  it('lets an allow-listed hostname resolve to a private address and sends its Host header', async () => {
    const byName = createSsrfPolicy({ allowedPrivateHosts: [`internal.test:${redirector.port}`] });
    const response = await guardedFetch(
      { url: `http://internal.test:${redirector.port}/ok`, method: 'GET', headers: {} },
      options({ policy: byName }),
    );
    const echoed = JSON.parse(new TextDecoder().decode(response.body)) as { headers: Record<string, string> };
    expect(echoed.headers.host).toBe(`internal.test:${redirector.port}`);
    expect((await fetchError(`http://internal.test:${target.port}/`, { policy: byName })).code).toBe('SSRF_BLOCKED');
  });

  it('falls back to the next vetted address when one refuses the connection', async () => {
    const byName = createSsrfPolicy({ allowedPrivateHosts: [`fallback.test:${redirector.port}`] });
    const response = await guardedFetch(
      { url: `http://fallback.test:${redirector.port}/ok`, method: 'GET', headers: {} },
      options({ policy: byName }),
    );
    expect(response.remoteAddress).toBe('127.0.0.1');
  });

  it('follows a redirect to an allowed origin, turning 303 POST into GET and dropping credentials', async () => {
    const next = `http://127.0.0.1:${otherOrigin.port}/landing`;
    const response = await guardedFetch(
      {
        url: `http://127.0.0.1:${redirector.port}/to?status=303&url=${encodeURIComponent(next)}`,
        method: 'POST',
        headers: {
          Authorization: 'Bearer secret',
          Cookie: 'a=b',
          'X-Api-Key': 'k',
          'Content-Type': 'application/json',
          'X-Keep': 'yes',
        },
        body: '{"a":1}',
      },
      options({ sensitiveHeaders: ['X-Api-Key'] }),
    );
    expect(response.url).toBe(next);
    const last = otherOrigin.requests.at(-1);
    expect(last?.method).toBe('GET');
    expect(last?.body).toBe('');
    expect(last?.headers).not.toHaveProperty('authorization');
    expect(last?.headers).not.toHaveProperty('cookie');
    expect(last?.headers).not.toHaveProperty('x-api-key');
    expect(last?.headers).not.toHaveProperty('content-type');
    expect(last?.headers['x-keep']).toBe('yes');
  });

  it('keeps method, body and credentials on a same-origin 307', async () => {
    await guardedFetch(
      {
        url: `http://127.0.0.1:${redirector.port}/to?status=307&url=/ok`,
        method: 'PUT',
        headers: { Authorization: 'Bearer secret' },
        body: 'payload',
      },
      options(),
    );
    const last = redirector.requests.at(-1);
    expect(last).toMatchObject({ method: 'PUT', url: '/ok', body: 'payload' });
    expect(last?.headers.authorization).toBe('Bearer secret');
  });
});

describe('limits, cancellation and header safety', () => {
  it('caps the response size, declared or streamed', async () => {
    const base = `http://127.0.0.1:${redirector.port}`;
    expect((await fetchError(`${base}/big`, { maxResponseBytes: 1024 })).code).toBe('RESPONSE_TOO_LARGE');
    expect((await fetchError(`${base}/big-chunked`, { maxResponseBytes: 1024 })).code).toBe('RESPONSE_TOO_LARGE');
  });

  it('maps a timeout signal to TIMEOUT and closes the socket', async () => {
    const closedBefore = redirector.closedSockets;
    const error = await fetchError(`http://127.0.0.1:${redirector.port}/hang`, { signal: AbortSignal.timeout(150) });
    expect(error.code).toBe('TIMEOUT');
    await expect.poll(() => redirector.closedSockets).toBeGreaterThan(closedBefore);
  });

  it('maps an explicit abort to CANCELLED', async () => {
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const error = await fetchError(`http://127.0.0.1:${redirector.port}/hang`, { signal: controller.signal });
    expect(error.code).toBe('CANCELLED');
  });

  it('refuses header values that would inject new headers', async () => {
    await expect(
      guardedFetch(
        { url: `http://127.0.0.1:${redirector.port}/ok`, method: 'GET', headers: { 'X-A': 'v\r\nX-Injected: 1' } },
        options(),
      ),
    ).rejects.toMatchObject({ code: 'INVALID_CONFIGURATION' });
  });
});

describe('https', () => {
  let dir: string;
  let tlsServer: TestServer;
  let cert: string;

  beforeAll(async () => {
    dir = mkdtempSync(join(tmpdir(), 'switchboard-tls-'));
    execFileSync(
      'openssl',
      [
        'req',
        '-x509',
        '-newkey',
        'rsa:2048',
        '-nodes',
        '-days',
        '1',
        '-subj',
        '/CN=tls.test',
        '-addext',
        'subjectAltName=DNS:tls.test',
        '-keyout',
        join(dir, 'key.pem'),
        '-out',
        join(dir, 'cert.pem'),
      ],
      { stdio: 'ignore' },
    );
    cert = readFileSync(join(dir, 'cert.pem'), 'utf8');
    const server = createTlsServer({ key: readFileSync(join(dir, 'key.pem')), cert });
    tlsServer = await startServer(
      '127.0.0.1',
      (req, res) => {
        res.end((req.socket as TLSSocket).servername || '');
      },
      server,
    );
  });

  afterAll(() => rmSync(dir, { recursive: true, force: true }));

  it('speaks TLS to the vetted address with SNI set to the hostname', async () => {
    const tlsPolicy = createSsrfPolicy({ allowedPrivateHosts: [`tls.test:${tlsServer.port}`] });
    const response = await guardedFetch(
      { url: `https://tls.test:${tlsServer.port}/`, method: 'GET', headers: {} },
      options({ policy: tlsPolicy, ca: cert }),
    );
    expect(new TextDecoder().decode(response.body)).toBe('tls.test');
  });

  it('rejects a certificate for another name', async () => {
    const ipPolicy = createSsrfPolicy({ allowedPrivateHosts: [`127.0.0.1:${tlsServer.port}`] });
    const error = await fetchError(`https://127.0.0.1:${tlsServer.port}/`, { policy: ipPolicy, ca: cert });
    expect(error.code).toBe('CONNECT_ERROR');
  });
});

describe('isForbiddenAddress', () => {
  it.each([
    '127.0.0.1',
    '127.255.255.255',
    '0.0.0.0',
    '10.1.2.3',
    '172.16.0.1',
    '172.31.0.1',
    '192.168.0.1',
    '100.64.0.1',
    '100.127.255.255',
    '169.254.169.254',
    '198.18.0.1',
    '198.19.255.255',
    '192.0.2.5',
    '198.51.100.1',
    '203.0.113.1',
    '224.0.0.1',
    '239.255.255.255',
    '240.0.0.1',
    '255.255.255.255',
    '::',
    '::1',
    '::ffff:127.0.0.1',
    '::ffff:7f00:1',
    '::ffff:10.0.0.1',
    '::10.0.0.1',
    '64:ff9b::a9fe:a9fe',
    '64:ff9b:1::1',
    '2002:c0a8:101::',
    '2001::1',
    '2001:db8::1',
    'fe80::1',
    'fe80::1%eth0',
    'fc00::1',
    'fd00:ec2::254',
    'ff02::1',
    'fec0::1',
    'not-an-ip',
    '',
  ])('refuses %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(true);
  });

  it.each([
    '8.8.8.8',
    '1.1.1.1',
    '93.184.216.34',
    '172.32.0.1',
    '100.128.0.1',
    '::ffff:8.8.8.8',
    '64:ff9b::808:808',
    '2002:808:808::1',
    '2606:4700:4700::1111',
    '2a00:1450:4001:81b::200e',
  ])('allows %s', (ip) => {
    expect(isForbiddenAddress(ip)).toBe(false);
  });
});

describe('allow-list configuration', () => {
  it('parses SWITCHBOARD_ALLOWED_PRIVATE_HOSTS', () => {
    expect(parseAllowedPrivateHosts(undefined)).toEqual([]);
    expect(parseAllowedPrivateHosts(' crm.internal , 10.0.0.5:8443,[::1]:8080,, fd00::1 ')).toEqual([
      'crm.internal',
      '10.0.0.5:8443',
      '[::1]:8080',
      'fd00::1',
    ]);
    expect(() => parseAllowedPrivateHosts('http://crm.internal')).toThrow(/Invalid allowed private host/);
    expect(() => parseAllowedPrivateHosts('crm.internal:99999')).toThrow(/Invalid port/);
  });

  it('matches names, addresses and ports', () => {
    const allow = createSsrfPolicy({
      allowedPrivateHosts: ['CRM.internal.', '10.0.0.5:8443', '[::1]:8080', 'fd00::1'],
    });
    expect(allow.isAllowedDestination('crm.internal', '10.9.9.9', 443)).toBe(true);
    expect(allow.isAllowedDestination('other.internal', '10.9.9.9', 443)).toBe(false);
    expect(allow.isAllowedDestination('anything.example', '10.0.0.5', 8443)).toBe(true);
    expect(allow.isAllowedDestination('10.0.0.5', '10.0.0.5', 80)).toBe(false);
    expect(allow.isAllowedDestination('::1', '::1', 8080)).toBe(true);
    expect(allow.isAllowedDestination('::1', '0:0:0:0:0:0:0:1', 8081)).toBe(false);
    expect(allow.isAllowedDestination('fd00::1', 'fd00:0::1', 1)).toBe(true);
    expect(allow.isAllowedDestination('public.example', '8.8.8.8', 443)).toBe(true);
  });
});
