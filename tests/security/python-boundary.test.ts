/**
 * The process is the boundary between tenants and tools (issue: code tools).
 * Hostile Python that escapes every in-interpreter restriction (through
 * `dataclasses`, which turns field names into source it runs with the real
 * builtins) may own its own process; these tests prove that is all it owns:
 * no other organization's or tool's job, secret, source or file ever meets it,
 * the host enforces its memory from outside, and nothing points at the host.
 * They run the production pools (startSandboxPools) with the production limits.
 */
import { randomUUID } from 'node:crypto';
import path from 'node:path';
import pino from 'pino';
import { afterAll, beforeAll, describe, expect, it, vi } from 'vitest';
import type { Config } from '../../server/config.ts';
import type { JsonObject } from '../../server/executors/types.ts';
import type { SandboxPool, SandboxRunResult } from '../../server/sandbox/pool.ts';
import { startSandboxPools, type SandboxPools } from '../../server/sandbox/pools.ts';
import type { RunLimits } from '../../server/sandbox/protocol.ts';

vi.setConfig({ testTimeout: 120_000 });

const LIMITS: Config['sandbox'] = {
  javascriptPoolSize: 0,
  pythonPoolSize: 1,
  javascriptMaxProcesses: 1,
  pythonMaxProcesses: 4,
  organizationSharePercent: 50,
};
const DEFAULT_LIMITS: RunLimits = {
  timeoutMs: 10_000,
  memoryMb: 64,
  maxLogBytes: 16 * 1024,
  maxResultBytes: 64 * 1024,
};
const REPO_ROOT = path.resolve(import.meta.dirname, '../..');

let pools: SandboxPools;
let pool: SandboxPool;

beforeAll(async () => {
  pools = await startSandboxPools(LIMITS, pino({ level: 'silent' }));
  pool = pools.byRuntime.python as SandboxPool;
}, 180_000);

afterAll(async () => {
  await pools?.stop();
});

interface Job {
  organizationId: string;
  toolId: string;
  code: string;
  secrets?: Record<string, string>;
  parameters?: JsonObject;
  allowedImports?: string[];
  limits?: Partial<RunLimits>;
}

function run(job: Job): Promise<SandboxRunResult> {
  return pool.run(
    {
      code: job.code,
      parameters: job.parameters ?? {},
      context: { organizationId: job.organizationId, toolId: job.toolId, toolVersion: 1 },
      secrets: job.secrets ?? {},
      allowedImports: job.allowedImports ?? [],
      limits: { ...DEFAULT_LIMITS, ...job.limits },
    },
    { signal: new AbortController().signal, onFetch: () => Promise.reject(new Error('no network in this test')) },
  );
}

function dataOf(result: SandboxRunResult): unknown {
  if (!result.ok) throw new Error(`expected success, got ${JSON.stringify(result.error)}`);
  return (result.value as { data: unknown }).data;
}

/**
 * A tool that leaves the restricted namespace: `payload` runs with the real
 * builtins (real `__import__`, `gc`, `sys`, `os`) and raises ValueError with
 * its answer, which the tool returns as text.
 */
function escape(payload: string): string {
  const encoded = Buffer.from(payload).toString('base64');
  return `import dataclasses

def execute_tool(parameters, context):
    name = "a==0 or __import__('builtins').exec(__import__('base64').b64decode('${encoded}').decode(), {}) or self.a"
    C = type('C', (), {'__annotations__': {name: int}, name: 1, 'a': 1})
    D = dataclasses.dataclass(init=False, repr=False, eq=True)(C)
    try:
        D() == D()
    except ValueError as answer:
        return str(answer)
    return 'the escape did not run'
`;
}

function escaped(result: SandboxRunResult): unknown {
  return JSON.parse(dataOf(result) as string) as unknown;
}

describe('python: an escaped tool owns its own process and nothing else', () => {
  it('escapes the in-interpreter policy (the premise of every test here)', async () => {
    const answer = escaped(
      await run({
        organizationId: 'org-a',
        toolId: 'premise',
        code: escape("import os, json\nraise ValueError(json.dumps(sorted(os.listdir('/'))))"),
      }),
    );
    expect(answer).toEqual(expect.arrayContaining(['lib', 'tmp']));
  });

  it("never hands another organization's parameters, secrets or source to a hook it planted", async () => {
    const marker = randomUUID();
    const spy = `
import gc, json, sys
ns = next(d for d in gc.get_objects() if type(d) is dict and 'sb_start' in d and '_call_entry' in d)
stash = ns.get('__stash__')
if stash is None:
    stash = ns['__stash__'] = []
    real = ns['_call_entry']
    def spy(entry, parameters, context, real=real, stash=stash):
        g = getattr(entry, '__globals__', {})
        stash.append({'parameters': parameters, 'secrets': dict(g.get('secrets', {}))})
        return real(entry, parameters, context)
    ns['_call_entry'] = spy
    sys.addaudithook(lambda event, args: stash.append({'event': event, 'args': repr(args)[:4000]}) if event in ('compile', 'exec') else None)
raise ValueError(json.dumps(stash, default=str))
`;
    const attacker = { organizationId: 'org-a', toolId: 'spy', code: escape(spy) };
    await run({ ...attacker, parameters: { round: `a-first-${marker}` } });
    const victim = await run({
      organizationId: 'org-b',
      toolId: 'crm',
      code: `API_KEY = 'b-embedded-${marker}'\n\ndef execute_tool(parameters, context):\n    return len(secrets['CRM_TOKEN'])\n`,
      secrets: { CRM_TOKEN: `b-secret-${marker}` },
      parameters: { caller: `b-parameter-${marker}` },
    });
    expect(dataOf(victim)).toBe(`b-secret-${marker}`.length);
    // The same organization's other tool is no more visible to the spy than another organization's.
    await run({
      organizationId: 'org-a',
      toolId: 'billing',
      code: `def execute_tool(parameters, context):\n    return secrets['BILLING']\n`,
      secrets: { BILLING: `a-billing-${marker}` },
    });
    const loot = await run({ ...attacker, parameters: { round: `a-second-${marker}` } });
    const text = JSON.stringify(loot);
    // The channel works: the spy saw its own tool's later job...
    expect(text).toContain(`a-second-${marker}`);
    // ...and nothing of any other tool.
    expect(text).not.toContain(`b-embedded-${marker}`);
    expect(text).not.toContain(`b-secret-${marker}`);
    expect(text).not.toContain(`b-parameter-${marker}`);
    expect(text).not.toContain(`a-billing-${marker}`);
  });

  it('runs no two organizations and no two tools in one process', async () => {
    const seen = new Map<number, string>();
    for (let round = 0; round < 2; round += 1) {
      for (const [organizationId, toolId] of [
        ['org-a', 'one'],
        ['org-b', 'one'],
        ['org-a', 'two'],
      ] as const) {
        const result = await run({ organizationId, toolId, code: 'def execute_tool(p, c):\n    return 1\n' });
        expect(result.ok).toBe(true);
        const owner = `${organizationId}/${toolId}`;
        expect(seen.get(result.pid as number) ?? owner).toBe(owner);
        seen.set(result.pid as number, owner);
      }
    }
  });

  it('lets no file a job writes reach another tool or outlive the job', async () => {
    const marker = randomUUID();
    const plant = `
import json, os, sys
module = "import json\\ndef split(s, *a, **k):\\n    return ['PLANTED-${marker}']\\nTZPATH = ()\\n"
before = os.listdir('/tmp/job')
wrote = []
for directory in set(sys.path + [os.getcwd(), '/home/tool', '/tmp', '/tmp/job', '/lib/python3.14']):
    for name in ('shlex.py', 'tzdata.py'):
        try:
            with open(os.path.join(directory or '.', name), 'w') as f:
                f.write(module)
            wrote.append(os.path.join(directory or '.', name))
        except Exception:
            pass
raise ValueError(json.dumps({'before': before, 'wrote': wrote, 'cwd': os.getcwd(), 'path': sys.path}))
`;
    interface Planted {
      before: string[];
      wrote: string[];
      cwd: string;
      path: string[];
    }
    const planter = { organizationId: 'org-a', toolId: 'planter', code: escape(plant) };
    const first = await run(planter);
    const planted = { ...(escaped(first) as Planted), pid: first.pid };
    expect(planted.wrote.length).toBeGreaterThan(0);
    // Only the job's scratch directory takes files, and it is not where modules are found.
    expect(planted.wrote.every((file) => file.startsWith('/tmp/job/'))).toBe(true);
    expect(planted.path).not.toContain(planted.cwd);
    expect(planted.path.every((entry) => entry.startsWith('/lib/'))).toBe(true);
    const look = `import shlex, zoneinfo\n\ndef execute_tool(parameters, context):\n    try:\n        zone = str(zoneinfo.ZoneInfo('Europe/Lisbon'))\n    except Exception as error:\n        zone = type(error).__name__\n    return [shlex.split('a b'), zone]\n`;
    for (const organizationId of ['org-b', 'org-a']) {
      const result = await run({ organizationId, toolId: 'reader', code: look, allowedImports: ['shlex'] });
      expect(JSON.stringify(result)).not.toContain('PLANTED');
      expect(dataOf(result)).toEqual([['a', 'b'], expect.any(String)]);
    }
    // The planting tool's next job, in its own process, starts with an empty scratch directory.
    const again = await run(planter);
    expect(again.pid).toBe(planted.pid);
    expect((escaped(again) as Planted).before).toEqual([]);
  });

  it('counts files in the memory limit while the job runs', async () => {
    const flood = `
import json
written = 0
with open('/tmp/job/flood', 'wb') as f:
    for _ in range(384):
        f.write(b'x' * (1024 * 1024))
        written += 1
raise ValueError(json.dumps(written))
`;
    const result = await run({
      organizationId: 'org-a',
      toolId: 'flood',
      code: escape(flood),
      limits: { memoryMb: 32 },
    });
    expect(result).toMatchObject({ ok: false, error: { code: 'MEMORY_LIMIT' } });
  });

  it('keeps nothing in the interpreter that points at the host or the JavaScript API', async () => {
    const look = `
import json, os, sys
raise ValueError(json.dumps({
    'executable': sys.executable, 'argv': sys.argv, 'orig_argv': getattr(sys, 'orig_argv', []),
    'modules': sorted(name for name in sys.modules if name.split('.')[0] in ('js', 'pyodide_js', 'pyodide', '_pyodide')),
    'environ': dict(os.environ), 'path': sys.path,
}))
`;
    const answer = escaped(await run({ organizationId: 'org-a', toolId: 'look', code: escape(look) })) as {
      modules: string[];
    };
    expect(JSON.stringify(answer)).not.toContain(REPO_ROOT);
    expect(JSON.stringify(answer)).not.toContain('node');
    expect(answer.modules).toEqual([]);
  });

  it("answers no question about another tool's source through str.format", async () => {
    const secretSource = `TOKEN = 'sk-${randomUUID()}'\n\ndef execute_tool(parameters, context):\n    return 1\n`;
    await run({ organizationId: 'org-b', toolId: 'victim', code: secretSource });
    const oracle = (source: string): string =>
      `def execute_tool(parameters, context):\n    source = ${JSON.stringify(source)}\n    try:\n        return ('{0.__globals__[_compiled][' + source + ']}').format(fetch)\n    except KeyError:\n        return 'unknown'\n`;
    // The route works: str.format reads the prelude's globals...
    const route = await run({
      organizationId: 'org-a',
      toolId: 'route',
      code: "def execute_tool(parameters, context):\n    return '{0.__globals__[TOOL_FILENAME]}'.format(fetch)\n",
    });
    expect(dataOf(route)).toBe('<tool>');
    // ...and knows nothing of another tool's.
    const probe = await run({ organizationId: 'org-a', toolId: 'oracle', code: oracle(secretSource) });
    expect(dataOf(probe)).toBe('unknown');
  });
});

describe('python: fair share between organizations', () => {
  it('answers another organization while one pins every process it may use', async () => {
    const spin = 'def execute_tool(parameters, context):\n    while True:\n        pass\n';
    const pinned = Array.from({ length: 4 }, (_, index) =>
      run({ organizationId: 'org-hog', toolId: `spin-${index}`, code: spin, limits: { timeoutMs: 15_000 } }).then(
        (result) => ({ result, at: Date.now() }),
      ),
    );
    const other = await run({
      organizationId: 'org-quiet',
      toolId: 'hello',
      code: "def execute_tool(parameters, context):\n    return 'hello'\n",
    });
    const answeredAt = Date.now();
    expect(dataOf(other)).toBe('hello');
    const hog = await Promise.all(pinned);
    // The hog held every process it may use until its deadline (the rest of its jobs waited and
    // were refused); the quiet organization was answered while those processes were still pinned.
    const pinning = hog.filter(({ result }) => !result.ok && result.error.code === 'TIMEOUT');
    expect(pinning.length).toBe(2);
    for (const { at } of pinning) expect(at).toBeGreaterThan(answeredAt);
  });
});

describe('python: values JSON cannot carry, and deep structures', () => {
  const results: Array<[string, string, RegExp]> = [
    ['2**63 + 1', 'return 2**63 + 1', /integer beyond 2\*\*53 - 1.*return it as a string/],
    ['a 4,000-digit integer', "return [int('9' * 4000)]", /integer beyond 2\*\*53 - 1/],
  ];

  it.each(results)('refuses %s with a message that says why', async (_name, body, message) => {
    const result = await run({
      organizationId: 'org-a',
      toolId: 'numbers',
      code: `def execute_tool(parameters, context):\n    ${body}\n`,
    });
    expect(result).toMatchObject({
      ok: false,
      error: { code: 'INVALID_RESULT', message: expect.stringMatching(message) },
    });
  });

  it('returns integers up to 2**53 - 1 exactly', async () => {
    const result = await run({
      organizationId: 'org-a',
      toolId: 'numbers',
      code: 'def execute_tool(parameters, context):\n    return [2**53 - 1, -(2**53 - 1), str(2**63 + 1)]\n',
    });
    expect(dataOf(result)).toEqual([9007199254740991, -9007199254740991, '9223372036854775809']);
  });

  it('builds and drops a 20,000-deep list without losing its process', async () => {
    const job = {
      organizationId: 'org-a',
      toolId: 'deep',
      code: "def execute_tool(parameters, context):\n    x = []\n    for _ in range(20000):\n        x = [x]\n    x = None\n    return 'ok'\n",
    };
    const first = await run(job);
    expect(dataOf(first)).toBe('ok');
    const second = await run(job);
    expect(second.pid).toBe(first.pid);
  });
});
