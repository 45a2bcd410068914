/**
 * Hostile Python against the Pyodide sandbox, through the real pool. Every case
 * asserts a clear outcome and that the host saw nothing: no request on the
 * loopback server, no file written, no host environment in the output.
 */
import { randomUUID } from 'node:crypto';
import { once } from 'node:events';
import { existsSync, readFileSync, readdirSync } from 'node:fs';
import { createServer } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { JsonObject } from '../../server/executors/types.ts';
import { createBridgeFetch } from '../../server/sandbox/bridge-fetch.ts';
import {
  LOG_TRUNCATED_MARKER,
  MAX_FETCHES_PER_JOB,
  MAX_LOG_LINES,
  MAX_LOG_LINE_BYTES,
} from '../../server/sandbox/limits.ts';
import { createSandboxPool } from '../../server/sandbox/pool.ts';
import type { SandboxPool, SandboxRunResult } from '../../server/sandbox/pool.ts';
import type { RunLimits } from '../../server/sandbox/protocol.ts';
import { PYTHON_WORKER_ENTRY, pythonWorkerLaunch } from '../../server/sandbox/python/launch.ts';
import { createSsrfPolicy } from '../../server/security/ssrf.ts';

const START_TIMEOUT_MS = 60_000;
// Every runaway retires its process and Pyodide takes seconds to load on a busy machine:
// a test may wait for a replacement (up to START_TIMEOUT_MS) before its own run starts.
vi.setConfig({ testTimeout: START_TIMEOUT_MS + 60_000 });
const HOST_CANARY = `host-canary-${randomUUID()}`;
const WRITE_TARGET = `/tmp/switchboard-pwned-${randomUUID()}`;
const DEFAULT_LIMITS: RunLimits = { timeoutMs: 3000, memoryMb: 64, maxLogBytes: 16 * 1024, maxResultBytes: 64 * 1024 };
/** Past the deadline: the pool's kill grace plus scheduling slack on a shared machine. */
const TIMEOUT_SLACK_MS = 2500;

const leftovers: Array<() => Promise<void>> = [];
let pool: SandboxPool;
let loopbackUrl: string;
let loopbackHits = 0;
/** The upstream the tools may reach: allow-listed by exact address and port, as an operator would. */
let publicUrl: string;
let publicPort: number;
/** The production bridge (the real SSRF guard), allowing only the public upstream. */
let bridgeFetch: ReturnType<typeof createBridgeFetch>;
/** Requests the public upstream saw end before it answered (it never answers `/hang`). */
let abandonedRequests = 0;
let publicHits = 0;
/** Duration of the last `pool.run`, excluding the wait for a warm process. */
let lastRunMs = 0;

interface RunOptions {
  limits?: Partial<RunLimits>;
  allowedImports?: string[];
  secrets?: Record<string, string>;
  parameters?: JsonObject;
}

async function waitForIdle(): Promise<void> {
  const until = Date.now() + START_TIMEOUT_MS;
  while (pool.stats().idle === 0 && Date.now() < until) await new Promise((resolve) => setTimeout(resolve, 50));
}

async function run(code: string, options: RunOptions = {}): Promise<SandboxRunResult> {
  await waitForIdle();
  const started = Date.now();
  const result = await pool.run(
    {
      code,
      parameters: options.parameters ?? {},
      context: { executionId: 'exec-hostile' },
      secrets: options.secrets ?? {},
      allowedImports: options.allowedImports ?? [],
      limits: { ...DEFAULT_LIMITS, ...options.limits },
    },
    { signal: new AbortController().signal, onFetch: bridgeFetch },
  );
  lastRunMs = Date.now() - started;
  expect(JSON.stringify(result)).not.toContain(HOST_CANARY);
  return result;
}

function tool(body: string, prefix = ''): string {
  const indented = body
    .trim()
    .split('\n')
    .map((line) => `    ${line}`)
    .join('\n');
  return `${prefix}\ndef execute_tool(parameters, context):\n${indented}\n`;
}

function errorOf(result: SandboxRunResult): { code: string; message: string; line?: number } {
  if (result.ok) throw new Error(`expected a failure, got ${JSON.stringify(result.value)}`);
  return result.error;
}

function sandboxPids(): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const parent = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
      if (parent === process.pid && cmdline.includes(PYTHON_WORKER_ENTRY)) pids.push(Number(entry));
    } catch {
      // The process ended while we looked.
    }
  }
  return pids;
}

beforeAll(async () => {
  process.env.SWITCHBOARD_HOST_CANARY = HOST_CANARY;
  const server = createServer((_req, res) => {
    loopbackHits += 1;
    res.end(HOST_CANARY);
  });
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  loopbackUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  leftovers.push(() => new Promise((resolve) => server.close(() => resolve())));
  const upstream = createServer((req, res) => {
    if (req.url === '/hang') {
      res.on('close', () => (abandonedRequests += 1));
      return;
    }
    publicHits += 1;
    res.end('public');
  });
  upstream.listen(0, '127.0.0.1');
  await once(upstream, 'listening');
  publicPort = (upstream.address() as AddressInfo).port;
  publicUrl = `http://127.0.0.1:${publicPort}`;
  leftovers.push(
    () =>
      new Promise((resolve) => {
        upstream.closeAllConnections();
        upstream.close(() => resolve());
      }),
  );
  bridgeFetch = createBridgeFetch(createSsrfPolicy({ allowedPrivateHosts: [`127.0.0.1:${publicPort}`] }));
  pool = createSandboxPool({
    runtime: 'python',
    size: 2,
    affinity: 'tool',
    launch: pythonWorkerLaunch,
    startTimeoutMs: START_TIMEOUT_MS,
    queueTimeoutMs: START_TIMEOUT_MS,
  });
  leftovers.push(() => pool.stop());
  await pool.start();
}, 120_000);

afterAll(async () => {
  for (const dispose of leftovers.reverse()) await dispose();
  delete process.env.SWITCHBOARD_HOST_CANARY;
  expect(loopbackHits).toBe(0);
  expect(existsSync(WRITE_TARGET)).toBe(false);
});

describe('python sandbox: reaching JavaScript and the host', () => {
  const refusedImports: Array<[string, string]> = [
    ['import js', tool('return str(js.process.env)', 'import js')],
    ['from js import process', tool('return str(process.env)', 'from js import process')],
    ['import pyodide_js', tool('return str(pyodide_js)', 'import pyodide_js')],
    [
      'Function constructor via pyodide_js',
      tool("import pyodide_js\nreturn str(pyodide_js.constructor.constructor('return process')())"),
    ],
    ['pyodide.ffi', tool('from pyodide.ffi import to_js\nreturn 1')],
    ['pyodide.code.run_js', tool("import pyodide.code\nreturn str(pyodide.code.run_js('process.env'))")],
    ['js.eval through a nested import', tool("from js import eval as js_eval\nreturn js_eval('process.pid')")],
    ['_pyodide_core', tool('import _pyodide_core\nreturn 1')],
    ['importlib.import_module', tool("import importlib\nreturn str(importlib.import_module('js'))")],
    ['sys.modules', tool("import sys\nreturn str(sys.modules['js'])")],
    ['os.environ', tool('import os\nreturn dict(os.environ)')],
    ['os.system', tool(`import os\nreturn os.system('touch ${WRITE_TARGET}')`)],
    ['subprocess', tool(`import subprocess\nreturn subprocess.run(['touch', '${WRITE_TARGET}']).returncode`)],
    ['socket', tool("import socket\ns = socket.create_connection(('127.0.0.1', 80))\nreturn 1")],
    ['pyodide.http.pyfetch', tool('from pyodide.http import pyfetch\nreturn 1')],
    ['micropip', tool('import micropip\nreturn 1')],
    ['ctypes', tool('import ctypes\nreturn 1')],
    ['gc.get_objects', tool('import gc\nreturn len(gc.get_objects())')],
    ['builtins module', tool('import builtins\nreturn str(builtins.open)')],
  ];

  it.each(refusedImports)('refuses %s with IMPORT_NOT_ALLOWED', async (_name, code) => {
    const error = errorOf(await run(code));
    expect(error.code).toBe('IMPORT_NOT_ALLOWED');
    expect(error.message).toMatch(/import of '[\w.]+' is not allowed/);
  });

  it('refuses dangerous modules even when the tool lists them in allowed_imports', async () => {
    const error = errorOf(
      await run(tool('return str(os.environ)', 'import os'), {
        allowedImports: ['os', 'js', 'importlib', 'subprocess'],
      }),
    );
    expect(error).toMatchObject({ code: 'IMPORT_NOT_ALLOWED', line: 1 });
    expect(error.message).toContain("'os'");
  });

  it('refuses modules outside the allowed list when the import runs', async () => {
    const error = errorOf(
      await run(tool("if parameters['go']:\n    import shlex\nreturn 1"), { parameters: { go: true } }),
    );
    expect(error).toMatchObject({ code: 'IMPORT_NOT_ALLOWED', line: 4 });
    expect(error.message).toContain("'shlex'");
    const viaAttribute = errorOf(await run(tool("import json\nreturn str(json.decoder.sys.modules['js'])")));
    expect(viaAttribute.code).toBe('FUNCTION_ERROR');
    expect(viaAttribute.message).toMatch(/^AttributeError/);
  });

  it('does not reach modules through attributes of allowed modules', async () => {
    const result = await run(
      tool(
        "import uuid, random, typing\nreturn [hasattr(uuid, 'os'), hasattr(uuid, 'sys'), hasattr(random, '_os'), hasattr(typing, 'sys')]",
      ),
    );
    expect(result).toMatchObject({ ok: true, value: { data: [false, false, false, false] } });
  });

  it('hands out only the entry points of _strptime that datetime and time call', async () => {
    const result = await run(
      tool(
        "import _strptime\nreturn sorted(name for name in dir(_strptime) if not name.startswith('__')) + [hasattr(_strptime, '_TimeRE_cache'), hasattr(_strptime, 'locale'), hasattr(_strptime, '_thread')]",
      ),
    );
    expect(result).toMatchObject({
      ok: true,
      value: {
        data: [
          '_strptime_datetime_date',
          '_strptime_datetime_datetime',
          '_strptime_datetime_time',
          '_strptime_time',
          false,
          false,
          false,
        ],
      },
    });
  });

  it('has no host environment and no host files', async () => {
    const read = errorOf(await run(tool("return open('/etc/passwd').read()")));
    expect(read).toMatchObject({ code: 'FUNCTION_ERROR', line: 3 });
    expect(read.message).toMatch(/^PermissionError/);
    const write = errorOf(await run(tool(`open('${WRITE_TARGET}', 'w').write('x')\nreturn 1`)));
    expect(write.message).toMatch(/^PermissionError/);
    expect(existsSync(WRITE_TARGET)).toBe(false);
  });

  it('blocks the introspection routes out of the restricted namespace', async () => {
    const escapes = [
      tool('return [c.__name__ for c in ().__class__.__base__.__subclasses__()]'),
      tool('return str(execute_tool.__globals__)'),
      tool('return str(fetch.__globals__["sys"])'),
      tool('def g():\n    yield 1\nit = g()\nreturn str(it.gi_frame.f_back.f_globals)'),
      tool('try:\n    1 / 0\nexcept Exception as e:\n    return str(e.__traceback__.tb_frame.f_back.f_globals)'),
      tool('return str(print.__self__)'),
      tool('return str(__builtins__)'),
      tool('match parameters:\n    case object(__class__=cls):\n        return str(cls)'),
    ];
    for (const code of escapes) {
      const error = errorOf(await run(code));
      expect(error.code, code).toBe('INVALID_CONFIGURATION');
      expect(error.line, code).toBeGreaterThanOrEqual(3);
    }
  });

  it('blocks the dynamic versions of the same routes', async () => {
    const escapes = [
      tool("return str(getattr(execute_tool, '__glo' + 'bals__'))"),
      tool("return str(getattr(getattr((), '__cla' + 'ss__'), '__subclasses__'))"),
      tool('import typing\nreturn str(typing.get_type_hints)'),
      tool("import string\nreturn str(string.Formatter().get_field('0.__globals__', [execute_tool], {}))"),
      tool(
        "import functools\nclass W:\n    pass\nfunctools.update_wrapper(W(), execute_tool, assigned=('__globals__',))\nreturn 1",
      ),
      tool("return eval('().__class__')"),
      tool("exec('x = 1')\nreturn 1"),
      tool('return str(globals())'),
      tool('return str(vars(execute_tool))'),
    ];
    for (const code of escapes) {
      const error = errorOf(await run(code));
      expect(error.code, code).toBe('FUNCTION_ERROR');
      expect(error.message, code).toMatch(/^(AttributeError|NameError)/);
    }
  });
});

describe('python sandbox: network', () => {
  const fetchTool = tool('r = await fetch(parameters["url"])\nreturn r.text').replace(
    'def execute_tool',
    'async def execute_tool',
  );

  it('reaches an allow-listed upstream through the production bridge', async () => {
    const result = await run(fetchTool, { parameters: { url: `${publicUrl}/` } });
    expect(result).toMatchObject({ ok: true, value: { data: 'public' } });
  });

  it('refuses bridged requests to loopback, private and metadata addresses, however spelled', async () => {
    const loopbackPort = new URL(loopbackUrl).port;
    const refused = [
      `${loopbackUrl}/admin`, // loopback on a port the allow-list does not name
      'http://10.0.0.1/',
      'http://169.254.169.254/latest/meta-data/',
      'http://localhost:6379/',
      `http://localhost:${publicPort}/`, // the allow-listed port, by a name the allow-list does not name
      `http://[::1]:${loopbackPort}/`,
      `http://[::ffff:127.0.0.1]:${loopbackPort}/`,
      `http://2130706433:${loopbackPort}/`,
      `http://0x7f000001:${loopbackPort}/`,
      `http://0177.0.0.1:${loopbackPort}/`,
    ];
    for (const url of refused) {
      const error = errorOf(await run(fetchTool, { parameters: { url } }));
      expect(error.code, url).toBe('FUNCTION_ERROR');
      expect(error.message, url).toMatch(/^FetchError: SSRF_BLOCKED: Requests to \S+ are not allowed/);
    }
    expect(loopbackHits).toBe(0);
  });

  it('lets a tool handle a refused request itself', async () => {
    const code = tool(
      `try:\n    await fetch('${loopbackUrl}')\nexcept FetchError as e:\n    return {'success': False, 'message': str(e), 'data': None}`,
    ).replace('def execute_tool', 'async def execute_tool');
    const result = await run(code);
    expect(result).toMatchObject({
      ok: true,
      value: { success: false, message: expect.stringMatching(/SSRF_BLOCKED/) },
    });
    expect(loopbackHits).toBe(0);
  });

  it('ends a job whose host fetch hangs at its deadline, and abandons the upstream request', async () => {
    const abandoned = abandonedRequests;
    const error = errorOf(
      await run(fetchTool, { parameters: { url: `${publicUrl}/hang` }, limits: { timeoutMs: 1500 } }),
    );
    expect(error.code).toBe('TIMEOUT');
    expect(lastRunMs).toBeLessThan(1500 + TIMEOUT_SLACK_MS);
    await vi.waitFor(() => expect(abandonedRequests).toBe(abandoned + 1), { timeout: 5000, interval: 50 });
  });

  it('caps the number of bridged requests', async () => {
    const before = publicHits;
    const code = tool(`n = 0\nwhile True:\n    await fetch('${publicUrl}/')\n    n += 1`).replace(
      'def execute_tool',
      'async def execute_tool',
    );
    const error = errorOf(await run(code));
    expect(error.message).toMatch(/FetchError: too many fetch calls/);
    expect(publicHits - before).toBe(MAX_FETCHES_PER_JOB);
  });
});

describe('python sandbox: runaway code', () => {
  const loops: Array<[string, string]> = [
    ['while True: pass', tool('while True:\n    pass')],
    [
      'an infinite loop in async def',
      tool('while True:\n    pass').replace('def execute_tool', 'async def execute_tool'),
    ],
    [
      'a loop that swallows KeyboardInterrupt',
      tool('while True:\n    try:\n        while True:\n            pass\n    except BaseException:\n        pass'),
    ],
    ['time.sleep past the deadline', tool('import time\ntime.sleep(60)\nreturn 1')],
    ['a catastrophic regex', tool("import re\nreturn bool(re.match(r'(a+)+$', 'a' * 64 + 'b'))")],
    ['a C-level loop the interpreter never interrupts', tool('return sum(range(10**13))')],
  ];

  it.each(loops)('stops %s with TIMEOUT', async (_name, code) => {
    const error = errorOf(await run(code, { limits: { timeoutMs: 1000 } }));
    expect(error.code).toBe('TIMEOUT');
    expect(lastRunMs).toBeLessThan(1000 + TIMEOUT_SLACK_MS);
  });

  it('turns runaway recursion into RecursionError', async () => {
    const error = errorOf(await run(tool('return f(0)', 'def f(n):\n    return f(n + 1)')));
    expect(error).toMatchObject({ code: 'FUNCTION_ERROR', line: 2 });
    expect(error.message).toMatch(/^RecursionError/);
  });

  it('stops huge allocations', async () => {
    const huge = errorOf(await run(tool("return len('x' * 10**10)")));
    expect(['MEMORY_LIMIT', 'FUNCTION_ERROR']).toContain(huge.code);
    expect(errorOf(await run(tool('return len([0] * 10**9)')))).toMatchObject({ code: 'MEMORY_LIMIT' });
    const gradual = errorOf(
      await run(tool("chunks = []\nwhile True:\n    chunks.append('x' * 10**6 + str(len(chunks)))"), {
        limits: { memoryMb: 32 },
      }),
    );
    expect(gradual.code).toBe('MEMORY_LIMIT');
    await expect(run(tool('return 1'))).resolves.toMatchObject({ ok: true });
  });

  it('measures the memory limit of a job from the warm heap, not from zero', async () => {
    // Pyodide starts with a heap of about 30 MB: 40 MB more must fit in a 64 MB allowance.
    const result = await run(tool('block = bytearray(40 * 1024 * 1024)\nreturn len(block)'), {
      limits: { memoryMb: 64 },
    });
    expect(result).toMatchObject({ ok: true });
  });
});

describe('python sandbox: results, logs and secrets', () => {
  it('rejects results that are not JSON or too large', async () => {
    for (const body of [
      'return object()',
      "return {'success': True, 'message': 'x', 'data': float('nan')}",
      "return 'x' * 10**6",
      'x = []\nfor _ in range(100):\n    x = [x]\nreturn x',
      'return {1j: 2}',
    ]) {
      const error = errorOf(await run(tool(body)));
      expect(error.code, body).toBe('INVALID_RESULT');
    }
  });

  it('caps a flood of prints', async () => {
    const result = await run(tool("for i in range(100000):\n    print('line', i)\nprint('x' * 100000)\nreturn 'done'"));
    expect(result).toMatchObject({ ok: true, value: { data: 'done' } });
    expect(result.logs.length).toBeLessThanOrEqual(MAX_LOG_LINES + 1);
    expect(result.logs.at(-1)).toBe(LOG_TRUNCATED_MARKER);
    const long = await run(tool("print('y' * 100000)\nreturn 1"));
    expect(long.logs[0]?.length).toBeLessThanOrEqual(MAX_LOG_LINE_BYTES);
  });

  it('sees only the secrets the job carried', async () => {
    const error = errorOf(await run(tool("return secrets['DATABASE_URL']"), { secrets: { API_KEY: 'k-1' } }));
    expect(error).toMatchObject({ code: 'FUNCTION_ERROR', message: "KeyError: 'DATABASE_URL'", line: 3 });
    const listed = await run(tool('return sorted(secrets)'), { secrets: { API_KEY: 'k-1' } });
    expect(listed).toMatchObject({ ok: true, value: { data: ['API_KEY'] } });
    const next = await run(tool('return dict(secrets)'));
    expect(next).toMatchObject({ ok: true, value: { data: {} } });
  });
});

describe('python sandbox: nothing survives into the next job', () => {
  async function pair(first: string, second: string, options: RunOptions = {}): Promise<SandboxRunResult> {
    // The pool hands a job to the first idle process, so back-to-back jobs share one unless it was retired.
    await run(first, options);
    return run(second, options);
  }

  it('forgets globals and builtins overrides', async () => {
    const next = await pair(
      tool("global LEAK\nLEAK = 'x'\nreturn 1", 'len = lambda x: 42\nprint = None'),
      tool("try:\n    LEAK\n    return 'leaked'\nexcept NameError:\n    return [len('ab'), 'clean']"),
    );
    expect(next).toMatchObject({ ok: true, value: { data: [2, 'clean'] } });
  });

  it('forgets modules imported and patched by a job', async () => {
    const next = await pair(
      tool("shlex.split = lambda s: ['pwned']\nreturn 1", 'import shlex'),
      tool("return shlex.split('a b')", 'import shlex'),
      { allowedImports: ['shlex'] },
    );
    expect(next).toMatchObject({ ok: true, value: { data: ['a', 'b'] } });
  });

  it('keeps patches to shared classes from other tools', async () => {
    const patches = [
      tool(
        "json.JSONEncoder.default = lambda self, o: 'pwned'\njson.JSONDecoder.decode = lambda self, s: 'pwned'\nreturn 1",
        'import json',
      ),
      tool("fractions.Fraction.limit_denominator = lambda self, *a: 'pwned'\nreturn 1", 'import fractions'),
      tool("type(http).get = lambda self, url, headers=None: 'pwned'\nResponse.json = lambda self: 'pwned'\nreturn 1"),
    ];
    for (const code of patches) await expect(run(code)).resolves.toMatchObject({ ok: true });
    const check = await run(
      tool(
        `r = await http.get('${publicUrl}/')\nreturn [json.loads('[1]'), str(fractions.Fraction(1, 3).limit_denominator(2)), r.text]`,
        'import json, fractions',
      ).replace('def execute_tool', 'async def execute_tool'),
    );
    expect(check).toMatchObject({ ok: true, value: { data: [[1], '1/2', 'public'] } });
  });

  // Tool A changes state it reaches through modules every tool may import; tool B, other code, looks.
  const reachable: Array<[string, string, string, unknown]> = [
    [
      'a dict a module holds (html.entities.html5)',
      tool("html.entities.html5['amp;'] = 'PLANTED'\nreturn html.unescape('&amp;')", 'import html, html.entities'),
      tool("return html.unescape('&amp;')", 'import html'),
      '&',
    ],
    [
      'an attribute of a module-level instance (calendar.setfirstweekday)',
      tool('calendar.setfirstweekday(6)\nreturn calendar.firstweekday()', 'import calendar'),
      tool('return [calendar.firstweekday(), calendar.c.firstweekday]', 'import calendar'),
      [0, 0],
    ],
    [
      'a list a module holds (urllib.parse.uses_relative)',
      tool('urllib.parse.uses_relative.clear()\nreturn 1', 'import urllib.parse'),
      tool("return urllib.parse.urljoin('https://a.example/b/c', 'd')", 'import urllib.parse'),
      'https://a.example/b/d',
    ],
    [
      'a set a module holds (hashlib.algorithms_available)',
      tool("hashlib.algorithms_available.add('planted')\nreturn 1", 'import hashlib'),
      tool("return 'planted' in hashlib.algorithms_available", 'import hashlib'),
      false,
    ],
    [
      'the attributes of an enum member (re.IGNORECASE)',
      tool("re.IGNORECASE._name_ = 'PLANTED'\nreturn repr(re.IGNORECASE)", 'import re'),
      tool('return repr(re.IGNORECASE)', 'import re'),
      're.IGNORECASE',
    ],
    [
      'an object reached through a class (the link-local network of ipaddress)',
      tool(
        "ipaddress.IPv4Address._constants._linklocal_network.netmask = ipaddress.IPv4Address('255.255.255.255')\nreturn 1",
        'import ipaddress',
      ),
      tool("return ipaddress.ip_address('169.254.1.1').is_link_local", 'import ipaddress'),
      true,
    ],
    [
      'names and attributes set on shared functions and classes',
      tool(
        "json.dumps.__name__ = 'planted'\njson.dumps.planted = 1\njson.JSONEncoder.__name__ = 'Planted'\nreturn 1",
        'import json',
      ),
      tool("return [json.dumps.__name__, hasattr(json.dumps, 'planted'), json.JSONEncoder.__name__]", 'import json'),
      ['dumps', false, 'JSONEncoder'],
    ],
    [
      'an object a C-level cache holds (typing.List[int])',
      tool("typing.List[int]._name = 'Planted'\nreturn repr(typing.List[int])", 'import typing'),
      tool('return repr(typing.List[int])', 'import typing'),
      'typing.List[int]',
    ],
    [
      'the state of the random module (random.seed)',
      tool('random.seed(42)\nreturn 1', 'import random'),
      tool('return random.random() == random.Random(42).random()', 'import random'),
      false,
    ],
    [
      'the decimal contexts (precision, traps, flags, the default template)',
      tool(
        'ctx = decimal.getcontext()\nctx.prec = 3\nctx.traps[decimal.DivisionByZero] = False\ndecimal.DefaultContext.prec = 5\nreturn str(decimal.Decimal(1) / 3)',
        'import decimal',
      ),
      tool(
        'ctx = decimal.getcontext()\ninexact = ctx.flags[decimal.Inexact]\nreturn [inexact, str(decimal.Decimal(1) / 3), ctx.traps[decimal.DivisionByZero], decimal.Context().prec]',
        'import decimal',
      ),
      [false, '0.3333333333333333333333333333', true, 28],
    ],
    [
      'csv dialects and the field size limit',
      tool("csv.register_dialect('excel', delimiter=';')\ncsv.field_size_limit(2)\nreturn 1", 'import csv'),
      tool("return list(csv.reader(['abc,def']))", 'import csv'),
      [['abc', 'def']],
    ],
    [
      "another module's registry that a default one hands out (copy.dispatch_table is copyreg's)",
      tool(
        "copy.dispatch_table[datetime.timedelta] = lambda t: (str, ('PLANTED',))\nreturn copy.copy(datetime.timedelta(1))",
        'import copy, datetime',
      ),
      tool('return str(copy.copy(datetime.timedelta(1)))', 'import copy, datetime'),
      '1 day, 0:00:00',
    ],
    [
      'registrations with an abstract base class (collections.abc.Sequence.register)',
      tool(
        'collections.abc.Sequence.register(dict)\nreturn isinstance({}, collections.abc.Sequence)',
        'import collections.abc',
      ),
      tool('return isinstance({}, collections.abc.Sequence)', 'import collections.abc'),
      false,
    ],
  ];

  it.each(reachable)('restores %s for the next tool', async (_name, plant, observe, expected) => {
    expect(await run(plant)).toMatchObject({ ok: true });
    expect(await run(observe)).toMatchObject({ ok: true, value: { data: expected } });
  });

  it("never runs one tool's code in another tool's job", async () => {
    // A subclass of a shared ABC stays listed in its __subclasses__ until the garbage collector finds it.
    const hook = tool(
      'return isinstance(5, collections.abc.Mapping)',
      'import collections.abc\nclass Everything(collections.abc.Mapping):\n    def __getitem__(self, key):\n        return key\n    def __len__(self):\n        return 0\n    def __iter__(self):\n        return iter(())\n    @classmethod\n    def __subclasshook__(cls, other):\n        return True',
    );
    expect(await run(hook)).toMatchObject({ ok: true, value: { data: true } });
    const look = tool('return isinstance(5, collections.abc.Mapping)', 'import collections.abc');
    expect(await run(look)).toMatchObject({ ok: true, value: { data: false } });
  });

  it('keeps files written through an allowed module from the next tool', async () => {
    const outside = `/tmp/planted-${randomUUID()}`;
    const refused = tool(`with gzip.open('${outside}', 'wb') as f:\n    f.write(b'PLANTED')\nreturn 1`, 'import gzip');
    expect(errorOf(await run(refused, { allowedImports: ['gzip'] })).message).toMatch(/PermissionError/);
    // The scratch directory takes files, and is another process's and wiped after the job anyway.
    const path = `/tmp/job/planted-${randomUUID()}`;
    const write = tool(`with gzip.open('${path}', 'wb') as f:\n    f.write(b'PLANTED')\nreturn 1`, 'import gzip');
    expect(await run(write, { allowedImports: ['gzip'] })).toMatchObject({ ok: true });
    const read = tool(
      `try:\n    with gzip.open('${path}', 'rb') as f:\n        return f.read().decode()\nexcept OSError:\n    return 'absent'`,
      'import gzip',
    );
    expect(await run(read, { allowedImports: ['gzip'] })).toMatchObject({ ok: true, value: { data: 'absent' } });
  });

  it('keeps a C-level registry changed through a module beyond the defaults from the next tool', async () => {
    const search =
      "def search(name):\n    if name == 'planted':\n        return (lambda s, e='strict': (b'PLANTED', len(s)), lambda b, e='strict': ('PLANTED', len(b)), None, None)";
    const plant = tool("_codecs.register(search)\nreturn 'x'.encode('planted').decode()", `import _codecs\n${search}`);
    expect(await run(plant, { allowedImports: ['_codecs'] })).toMatchObject({ ok: true, value: { data: 'PLANTED' } });
    const look = tool("try:\n    return 'x'.encode('planted').decode()\nexcept LookupError:\n    return 'absent'");
    expect(await run(look)).toMatchObject({ ok: true, value: { data: 'absent' } });
  });

  it('does not show a tool the source of the tools that ran before it', async () => {
    const secret = `sk-${randomUUID()}`;
    await expect(run(tool('return 1', `API_KEY = '${secret}'`))).resolves.toMatchObject({ ok: true });
    // str.format looks attributes up in C, past the attribute policy, and prints what it finds.
    const peek = await run(tool("return '{0.__globals__[_compiled]}'.format(fetch)"));
    expect(JSON.stringify(peek)).not.toContain(secret);
  });

  // A process keeps the compiled code of the tools it ran, by exact source.
  it('runs each tool its own code when tools alternate in one process', async () => {
    const alpha = tool("return 'alpha'");
    const omega = tool("return 'omega'");
    const outcomes = [];
    for (const code of [alpha, omega, alpha, omega]) outcomes.push(await run(code));
    expect(outcomes.map((outcome) => (outcome.ok ? outcome.value : outcome.error))).toEqual(
      ['alpha', 'omega', 'alpha', 'omega'].map((data) => ({ success: true, message: '', data })),
    );
  });

  it('gives every run of the same code a fresh namespace', async () => {
    const code = tool(
      'global runs\nruns += 1\nseen.append(1)\nreturn [runs, len(seen), len(cache)]',
      'runs = 0\nseen = []\ndef remember(cache={}):\n    cache[len(cache)] = 1\n    return cache\ncache = remember()',
    );
    for (let i = 0; i < 3; i += 1)
      await expect(run(code)).resolves.toMatchObject({ ok: true, value: { data: [1, 1, 1] } });
  });

  it('refuses refused code on every run', async () => {
    const refused = tool('return os.getcwd()', 'import os');
    const broken = "return 'outside a function'\ndef execute_tool(parameters, context):\n    return 1\n";
    for (let i = 0; i < 2; i += 1) {
      expect(errorOf(await run(refused))).toMatchObject({ code: 'IMPORT_NOT_ALLOWED' });
      expect(errorOf(await run(broken)).message).toMatch(/^SyntaxError: 'return' outside function/);
    }
  });
});

describe('python sandbox: process failures', () => {
  it('reports SANDBOX_CRASHED when the process dies mid-job, and the pool recovers', async () => {
    await vi.waitFor(() => expect(pool.stats()).toMatchObject({ idle: 2, busy: 0 }), {
      timeout: START_TIMEOUT_MS,
      interval: 100,
    });
    const restarts = pool.stats().restarts;
    const victims = sandboxPids();
    const pending = run(tool('while True:\n    pass'), { limits: { timeoutMs: 20_000 } });
    await new Promise((resolve) => setTimeout(resolve, 500));
    for (const pid of victims) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone: an evicted process that was exiting when we looked.
      }
    }
    expect(errorOf(await pending).code).toBe('SANDBOX_CRASHED');
    while (pool.stats().restarts < restarts + victims.length) await new Promise((resolve) => setTimeout(resolve, 50));
    await expect(run(tool('return "recovered"'))).resolves.toMatchObject({ ok: true, value: { data: 'recovered' } });
  });

  it('contains a C-level stack overflow (a fatal Pyodide error) to its own process', async () => {
    const error = errorOf(await run(tool('x = []\nfor _ in range(200000):\n    x = [x]\nreturn repr(x)')));
    expect(error.code).toBe('FUNCTION_ERROR');
    expect(error.message).toMatch(/RecursionError|crashed/);
    await expect(run(tool('return "still here"'))).resolves.toMatchObject({ ok: true, value: { data: 'still here' } });
  });

  it('validates hostile code without running it', async () => {
    await waitForIdle();
    const issues = await pool.validate(
      "import os\nos.system('touch " + WRITE_TARGET + "')\ndef execute_tool(p, c):\n    return ().__class__\n",
    );
    expect(issues).toEqual([
      expect.objectContaining({ line: 1, message: expect.stringMatching(/'os'/) }),
      expect.objectContaining({ line: 4, message: expect.stringMatching(/__class__/) }),
    ]);
    const nested = await pool.validate(`def execute_tool(p, c):\n    return ${'('.repeat(5000)}1${')'.repeat(5000)}\n`);
    expect(nested[0]?.message).toMatch(/SyntaxError|too/);
    expect(existsSync(WRITE_TARGET)).toBe(false);
  });
});
