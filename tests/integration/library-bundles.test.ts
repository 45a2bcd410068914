/** exportTools / importTools: round trips without loss and without secret values; hostile bundles change nothing. */
import { afterAll, beforeAll, describe, expect, test } from 'vitest';
import { BUILTIN_TEMPLATES } from '../../server/library/templates.ts';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

let t: TestApp;
let source: TestOrganization;
let target: TestOrganization;
let bundle: Record<string, unknown> & {
  tools: Array<Record<string, unknown>>;
  secrets: Array<Record<string, unknown>>;
};

const SECRET_VALUE = 'super-secret-orders-token-value-4242';
const EXPORT = `query ($ids: [ID!]!) { exportTools(ids: $ids) }`;
const IMPORT = `mutation ($input: ImportToolsInput!) { importTools(input: $input) {
  __typename
  ... on ImportReport { valid applied dryRun missingSecrets tools { index name finalName action toolId issues { field message } } }
  ... on ValidationError { issues { field message } }
} }`;
const FIELDS = [
  'name',
  'displayName',
  'description',
  'type',
  'configuration',
  'functionDefinition',
  'messages',
  'isActive',
  'requireConfirmation',
  'allowedContexts',
  'timeoutSeconds',
  'retryAttempts',
  'isTemplate',
] as const;

type ImportReport = {
  __typename: string;
  valid: boolean;
  applied: boolean;
  dryRun: boolean;
  missingSecrets: string[];
  tools: Array<{
    name: string;
    finalName: string | null;
    action: string;
    toolId: string | null;
    issues: Array<{ field: string; message: string }>;
  }>;
  issues?: Array<{ field: string; message: string }>;
};

async function importBundle(
  value: unknown,
  onConflict = 'SKIP',
  dryRun = false,
  key = target.keys.MEMBER,
): Promise<ImportReport> {
  const response = await t.gql<{ importTools: ImportReport }>(
    IMPORT,
    { input: { bundle: value, onConflict, dryRun } },
    { apiKey: key },
  );
  expect(response.errors).toBeUndefined();
  return response.data!.importTools;
}

async function snapshot(organizationId: string) {
  const prisma = t.app.services.prisma;
  const [tools, versions, audit] = await Promise.all([
    prisma.tool.findMany({ where: { organizationId }, orderBy: { name: 'asc' } }),
    prisma.toolVersion.count({ where: { tool: { organizationId } } }),
    prisma.auditLog.count({ where: { organizationId } }),
  ]);
  return { tools: tools.map((tool) => ({ ...tool, updatedAt: tool.updatedAt.toISOString() })), versions, audit };
}

function pick(tool: Record<string, unknown>) {
  return Object.fromEntries(FIELDS.map((field) => [field, tool[field] ?? null]));
}

beforeAll(async () => {
  t = await startTestApp({ SWITCHBOARD_PYTHON_POOL_SIZE: '1' });
  source = await createOrganization(t.app.services.prisma, 'Exporter');
  target = await createOrganization(t.app.services.prisma, 'Importer');
  await t.gql(
    `mutation { setSecret(input: { name: "ORDERS_API_TOKEN", value: "${SECRET_VALUE}" }) { __typename } }`,
    {},
    { apiKey: source.keys.ADMIN },
  );
  for (const template of BUILTIN_TEMPLATES) {
    const created = await t.gql<{ createToolFromTemplate: { __typename: string } }>(
      `mutation ($input: CreateToolFromTemplateInput!) { createToolFromTemplate(input: $input) { __typename } }`,
      { input: { templateId: template.id } },
      { apiKey: source.keys.MEMBER },
    );
    expect(created.data!.createToolFromTemplate.__typename).toBe('Tool');
  }
  // One tool with every optional field set away from its default.
  await t.gql(
    `mutation ($input: CreateToolInput!) { createTool(input: $input) { __typename } }`,
    {
      input: {
        name: 'everything_set',
        displayName: 'Everything set',
        description: 'Non-default everywhere',
        type: 'ENDPOINT',
        configuration: {
          url: 'https://api.example.com/x?token=${secrets.QUERY_TOKEN}',
          method: 'PUT',
          headers: { 'X-Trace': '${call_sid}' },
          body_template: { a: '${parameters.a}' },
        },
        functionDefinition: {
          name: 'everything_set',
          description: 'd',
          parameters: { type: 'object', properties: { a: { type: 'integer' } } },
        },
        isActive: false,
        requireConfirmation: true,
        allowedContexts: ['webhook'],
        timeoutSeconds: 42,
        retryAttempts: 3,
        isTemplate: true,
        messages: { requestFailed: 'Sorry.' },
      },
    },
    { apiKey: source.keys.MEMBER },
  );
  const exported = await t.gql<{ exportTools: typeof bundle }>(EXPORT, { ids: [] }, { apiKey: source.keys.MEMBER });
  expect(exported.errors).toBeUndefined();
  bundle = exported.data!.exportTools;
}, 120_000);
afterAll(() => t?.close());

describe('exportTools', () => {
  test('a versioned bundle without ids, organization data or secret values, listing the secrets it needs', async () => {
    expect(bundle).toMatchObject({ format: 'switchboard.tools', schemaVersion: 1 });
    expect(bundle.tools).toHaveLength(BUILTIN_TEMPLATES.length + 1);
    const text = JSON.stringify(bundle);
    expect(text).not.toContain(SECRET_VALUE);
    expect(text).not.toContain(source.id);
    const ids = await t.app.services.prisma.tool.findMany({
      where: { organizationId: source.id },
      select: { id: true },
    });
    for (const { id } of ids) expect(text).not.toContain(id);
    expect(bundle.tools.every((tool) => !('id' in tool) && !('organizationId' in tool) && !('isPublic' in tool))).toBe(
      true,
    );
    expect(bundle.secrets).toContainEqual({ name: 'ORDERS_API_TOKEN', required: true, usedBy: ['order_status'] });
    expect(bundle.secrets).toContainEqual({ name: 'QUERY_TOKEN', required: true, usedBy: ['everything_set'] });
    expect(bundle.secrets.every((secret) => Object.keys(secret).sort().join() === 'name,required,usedBy')).toBe(true);
  });

  test('selected ids only; ids of another organization are not found', async () => {
    const [tool] = await t.app.services.prisma.tool.findMany({ where: { organizationId: source.id }, take: 1 });
    const one = await t.gql<{ exportTools: { tools: unknown[] } }>(
      EXPORT,
      { ids: [tool!.id] },
      { apiKey: source.keys.MEMBER },
    );
    expect(one.data!.exportTools.tools).toHaveLength(1);
    const cross = await t.gql(EXPORT, { ids: [tool!.id] }, { apiKey: target.keys.OWNER });
    expect(cross).toMatchObject({ data: { exportTools: null } });
    expect(cross.errors).toBeUndefined();
  });
});

describe('importTools', () => {
  test('a dry run reports every tool and writes nothing', async () => {
    const before = await snapshot(target.id);
    const report = await importBundle(bundle, 'SKIP', true);
    expect(report).toMatchObject({ valid: true, applied: false, dryRun: true });
    expect(report.tools.every((tool) => tool.action === 'CREATE' && tool.issues.length === 0)).toBe(true);
    expect(report.missingSecrets).toEqual(
      expect.arrayContaining(['ORDERS_API_TOKEN', 'QUERY_TOKEN', 'TWILIO_AUTH_TOKEN']),
    );
    expect(await snapshot(target.id)).toEqual(before);
  });

  test('round-trips every template and every field', async () => {
    const report = await importBundle(bundle);
    expect(report).toMatchObject({ valid: true, applied: true });
    const imported = await t.app.services.prisma.tool.findMany({
      where: { organizationId: target.id },
      orderBy: { name: 'asc' },
    });
    const original = await t.app.services.prisma.tool.findMany({
      where: { organizationId: source.id },
      orderBy: { name: 'asc' },
    });
    expect(imported.map((tool) => pick(tool))).toEqual(original.map((tool) => pick(tool)));
    expect(imported.every((tool) => !tool.isPublic && tool.version === 1 && tool.installCount === 0)).toBe(true);
    expect(report.tools.every((tool) => tool.toolId && imported.some((row) => row.id === tool.toolId))).toBe(true);
    // And back out again: the second export equals the first (but for the time stamp).
    const again = await t.gql<{ exportTools: typeof bundle }>(EXPORT, { ids: [] }, { apiKey: target.keys.MEMBER });
    expect({ ...again.data!.exportTools, exportedAt: null }).toEqual({ ...bundle, exportedAt: null });
  });

  test('conflicts: SKIP keeps, RENAME adds name_2, OVERWRITE replaces as a new version', async () => {
    const skip = await importBundle(bundle, 'SKIP');
    expect(skip.tools.every((tool) => tool.action === 'SKIP')).toBe(true);
    const before = await t.app.services.prisma.tool.count({ where: { organizationId: target.id } });

    const one = { ...bundle, tools: bundle.tools.filter((tool) => tool.name === 'order_status') };
    const renamed = await importBundle(one, 'RENAME');
    expect(renamed.tools[0]).toMatchObject({ action: 'RENAME', finalName: 'order_status_2' });
    const copy = await t.app.services.prisma.tool.findFirstOrThrow({
      where: { organizationId: target.id, name: 'order_status_2' },
    });
    expect((copy.functionDefinition as { name: string }).name).toBe('order_status_2');
    expect(await t.app.services.prisma.tool.count({ where: { organizationId: target.id } })).toBe(before + 1);

    const changed = { ...one, tools: [{ ...one.tools[0], description: 'Changed in the bundle' }] };
    const overwritten = await importBundle(changed, 'OVERWRITE');
    expect(overwritten.tools[0]).toMatchObject({ action: 'OVERWRITE', finalName: 'order_status' });
    const tool = await t.app.services.prisma.tool.findFirstOrThrow({
      where: { organizationId: target.id, name: 'order_status' },
    });
    expect(tool).toMatchObject({ description: 'Changed in the bundle', version: 2 });
  });

  test.each([
    ['not an object', 'just a string'],
    ['wrong format', { format: 'other', schemaVersion: 1, tools: [{}] }],
    ['future schema version', { format: 'switchboard.tools', schemaVersion: 2, tools: [{ name: 'x', type: 'CODE' }] }],
    ['no tools', { format: 'switchboard.tools', schemaVersion: 1, tools: [] }],
    [
      'too many tools',
      {
        format: 'switchboard.tools',
        schemaVersion: 1,
        tools: Array.from({ length: 201 }, (_, i) => ({ name: `t${i}`, type: 'CODE' })),
      },
    ],
    ['entries that are not objects', { format: 'switchboard.tools', schemaVersion: 1, tools: [1, 'two'] }],
  ])('rejects a bundle with %s as a ValidationError and changes nothing', async (_label, value) => {
    const before = await snapshot(target.id);
    const report = await importBundle(value, 'OVERWRITE');
    expect(report.__typename).toBe('ValidationError');
    expect(await snapshot(target.id)).toEqual(before);
  });

  test('one bad tool among good ones: reported per tool, nothing applied', async () => {
    const before = await snapshot(target.id);
    const hostile = {
      format: 'switchboard.tools',
      schemaVersion: 1,
      tools: [
        {
          ...bundle.tools[0],
          name: 'fresh_and_fine',
          functionDefinition: { ...(bundle.tools[0]!.functionDefinition as object), name: 'fresh_and_fine' },
        },
        {
          name: 'ssrf_attempt',
          type: 'ENDPOINT',
          configuration: { url: 'http://169.254.169.254/latest/meta-data', method: 'GET' },
        },
        { name: 'bad name!', type: 'ENDPOINT', configuration: { url: 'https://example.com', method: 'GET' } },
        { name: 'wrong_type', type: 'SHELL', configuration: {} },
        { name: 'fresh_and_fine', type: 'ENDPOINT', configuration: { url: 'https://example.com', method: 'GET' } },
        {
          name: 'evil_code',
          type: 'CODE',
          configuration: { runtime: 'python', code: 'import os\ndef execute_tool(p, c):\n    return os.environ\n' },
        },
        {
          name: 'sneaky',
          type: 'ENDPOINT',
          configuration: { url: 'https://example.com', method: 'GET' },
          timeoutSeconds: 'forever',
        },
      ],
    };
    const report = await importBundle(hostile, 'OVERWRITE');
    expect(report).toMatchObject({ valid: false, applied: false });
    expect(report.tools.map((tool) => tool.action)).toEqual([
      'CREATE',
      'INVALID',
      'INVALID',
      'INVALID',
      'INVALID',
      'INVALID',
      'INVALID',
    ]);
    expect(report.tools[1]!.issues[0]!.field).toBe('configuration.url');
    expect(report.tools[4]!.issues[0]!.message).toContain('more than once');
    expect(await snapshot(target.id)).toEqual(before);
  });

  test('ids, organizations and publication in a bundle are ignored', async () => {
    const victim = await t.app.services.prisma.tool.findFirstOrThrow({ where: { organizationId: source.id } });
    const entry = {
      ...bundle.tools.find((tool) => tool.name === 'business_hours'),
      name: 'planted',
      id: victim.id,
      organizationId: source.id,
      isPublic: true,
      installCount: 9999,
      functionDefinition: {
        ...(bundle.tools.find((tool) => tool.name === 'business_hours')!.functionDefinition as object),
        name: 'planted',
      },
    };
    const report = await importBundle({ ...bundle, tools: [entry] });
    expect(report.applied).toBe(true);
    const planted = await t.app.services.prisma.tool.findFirstOrThrow({ where: { name: 'planted' } });
    expect(planted).toMatchObject({ organizationId: target.id, isPublic: false, installCount: 0 });
    expect(planted.id).not.toBe(victim.id);
    expect(await t.app.services.prisma.tool.findUniqueOrThrow({ where: { id: victim.id } })).toMatchObject({
      organizationId: source.id,
    });
  });

  test('VIEWERs cannot import', async () => {
    const response = await t.gql(IMPORT, { input: { bundle, dryRun: true } }, { apiKey: target.keys.VIEWER });
    expect(response.errors?.[0]?.extensions?.code).toBe('FORBIDDEN');
  });
});
