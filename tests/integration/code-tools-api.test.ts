/**
 * CODE tools end to end through the GraphQL API: save-time validation with
 * line and column, new versions, `testTool`, and `executeTool` through an
 * assistant, for both runtimes.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startTestApp, type TestApp } from '../helpers/app.ts';
import { createOrganization, type TestOrganization } from '../helpers/fixtures.ts';

/** Pyodide loads in 2-9 s on a busy machine, and a retired process is replaced in the background. */
const PYTHON_TEST_TIMEOUT_MS = 60_000;

const TOOL_RESULT = `__typename
  ... on Tool { id name version configuration }
  ... on ValidationError { message issues { field message line column } }
  ... on Error { message }`;
const EXECUTION_RESULT = `__typename
  ... on ToolExecution { id status errorCode errorMessage durationMs logs outputResult triggerContext toolVersion toolCallId }
  ... on ValidationError { issues { field message } }
  ... on Error { message }`;

const CREATE = `mutation ($input: CreateToolInput!) { createTool(input: $input) { ${TOOL_RESULT} } }`;
const UPDATE = `mutation ($input: UpdateToolInput!) { updateTool(input: $input) { ${TOOL_RESULT} } }`;
const TEST_TOOL = `mutation ($input: TestToolInput!) { testTool(input: $input) { ${EXECUTION_RESULT} } }`;
const EXECUTE_TOOL = `mutation ($input: ExecuteToolInput!) { executeTool(input: $input) { ${EXECUTION_RESULT} } }`;
const CREATE_ASSISTANT = `mutation ($input: CreateAssistantInput!) { createAssistant(input: $input) { __typename ... on Assistant { id } ... on Error { message } } }`;
const ASSIGN = `mutation ($input: AssignToolInput!) { assignTool(input: $input) { __typename ... on Error { message } } }`;
const SET_SECRET = `mutation ($input: SetSecretInput!) { setSecret(input: $input) { __typename ... on Error { message } } }`;

interface Issue {
  field: string;
  message: string;
  line: number | null;
  column: number | null;
}

interface ToolResult {
  __typename: string;
  id: string;
  version: number;
  configuration: Record<string, unknown>;
  issues?: Issue[];
}

interface Execution {
  __typename: string;
  status: string;
  errorCode: string | null;
  errorMessage: string | null;
  durationMs: number | null;
  logs: string[] | null;
  outputResult: { success: boolean; message: string; data: unknown } | null;
  triggerContext: string;
  toolVersion: number;
}

let t: TestApp;
let org: TestOrganization;
let assistantId: string;
let callSequence = 0;

async function mutate<T>(query: string, input: Record<string, unknown>, apiKey = org.keys.MEMBER): Promise<T> {
  const response = await t.gql<Record<string, T>>(query, { input }, { apiKey });
  expect(response.errors).toBeUndefined();
  return Object.values(response.data ?? {})[0]!;
}

function codeTool(name: string, configuration: Record<string, unknown>): Record<string, unknown> {
  return {
    name,
    type: 'CODE',
    description: 'Greets a caller',
    configuration,
    timeoutSeconds: 20,
    functionDefinition: {
      name,
      description: 'Greet a caller by name',
      parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    },
  };
}

async function testTool(toolId: string, parameters: Record<string, unknown>): Promise<Execution> {
  return mutate<Execution>(TEST_TOOL, { toolId, parameters });
}

async function executeTool(toolName: string, parameters: Record<string, unknown>): Promise<Execution> {
  callSequence += 1;
  return mutate<Execution>(EXECUTE_TOOL, {
    assistantId,
    toolName,
    parameters,
    context: { callSid: `CA-code-${callSequence}`, from: '+15550001111', to: '+15550002222' },
    toolCallId: `call_${callSequence}`,
  });
}

async function assign(toolId: string): Promise<void> {
  const assigned = await mutate<{ __typename: string }>(ASSIGN, { assistantId, toolId }, org.keys.ADMIN);
  expect(assigned.__typename).toBe('ToolAssignment');
}

function codeIssue(result: ToolResult): Issue {
  expect(result.__typename).toBe('ValidationError');
  const issue = result.issues?.find((candidate) => candidate.field === 'configuration.code');
  expect(issue, JSON.stringify(result.issues)).toBeDefined();
  return issue!;
}

beforeAll(async () => {
  t = await startTestApp({ SWITCHBOARD_JS_POOL_SIZE: '1', SWITCHBOARD_PYTHON_POOL_SIZE: '1' });
  org = await createOrganization(t.app.services.prisma, 'Code');
  const assistant = await mutate<{ __typename: string; id: string }>(
    CREATE_ASSISTANT,
    { name: 'Receptionist' },
    org.keys.ADMIN,
  );
  expect(assistant.__typename).toBe('Assistant');
  assistantId = assistant.id;
  for (const [name, value] of [
    ['GREETING_KEY', 'gk-listed-123'],
    ['OTHER_KEY', 'must-not-leak'],
  ]) {
    const saved = await mutate<{ __typename: string }>(SET_SECRET, { name, value }, org.keys.ADMIN);
    expect(saved.__typename).toBe('Secret');
  }
}, PYTHON_TEST_TIMEOUT_MS);

afterAll(() => t?.close());

describe('JavaScript code tools', () => {
  const broken = [
    'export default async function execute(parameters, context) {',
    '  const greeting = "Hello, " +;',
    '  return { success: true };',
    '}',
  ].join('\n');
  const fixed = [
    'export default async function execute(parameters, context) {',
    '  console.log("greeting", parameters.name);',
    '  return { success: true, message: `Hello, ${parameters.name}`, data: { trigger: context.triggerContext, length: parameters.name.length } };',
    '}',
  ].join('\n');
  let toolId = '';

  it('reports a syntax error at save time with its line and column, and saves nothing', async () => {
    const result = await mutate<ToolResult>(CREATE, codeTool('greet_js', { runtime: 'javascript', code: broken }));
    const issue = codeIssue(result);
    // Line 2 is `  const greeting = "Hello, " +;`: column 31 is the stray `;`.
    expect(issue).toMatchObject({ line: 2, column: 31 });
    expect(await t.app.services.prisma.tool.count({ where: { organizationId: org.id, name: 'greet_js' } })).toBe(0);
  });

  it("refuses an execution_timeout longer than the tool's own timeout, which would kill its process on every run", async () => {
    const result = await mutate<ToolResult>(
      CREATE,
      codeTool('slow_js', {
        runtime: 'javascript',
        execution_timeout: 25,
        code: 'export default function execute() { return 1; }',
      }),
    );
    expect(result.__typename).toBe('ValidationError');
    expect(result.issues).toContainEqual(
      expect.objectContaining({
        field: 'configuration.execution_timeout',
        message: expect.stringMatching(/must not exceed the tool's timeoutSeconds \(20 s\)/),
      }),
    );
    expect(await t.app.services.prisma.tool.count({ where: { organizationId: org.id, name: 'slow_js' } })).toBe(0);
  });

  it('reports a missing entry function at save time', async () => {
    const result = await mutate<ToolResult>(
      CREATE,
      codeTool('no_entry_js', { runtime: 'javascript', code: 'const x = 1;' }),
    );
    expect(codeIssue(result).message).toMatch(/execute/);
  });

  it('saves valid code, and an update with a syntax error is refused with its position', async () => {
    const created = await mutate<ToolResult>(
      CREATE,
      codeTool('greet_js', { runtime: 'javascript', code: fixed.replace('Hello', 'Hi') }),
    );
    expect(created).toMatchObject({ __typename: 'Tool', version: 1 });
    toolId = created.id;
    const refused = await mutate<ToolResult>(UPDATE, {
      id: toolId,
      configuration: { runtime: 'javascript', code: broken },
    });
    expect(codeIssue(refused)).toMatchObject({ line: 2 });
    const updated = await mutate<ToolResult>(UPDATE, {
      id: toolId,
      configuration: { runtime: 'javascript', code: fixed },
    });
    expect(updated).toMatchObject({ __typename: 'Tool', version: 2 });
  });

  it('testTool runs the latest version and records status, duration, logs and output', async () => {
    const execution = await testTool(toolId, { name: 'Ada' });
    expect(execution).toMatchObject({
      __typename: 'ToolExecution',
      status: 'SUCCESS',
      triggerContext: 'test',
      toolVersion: 2,
      outputResult: { success: true, message: 'Hello, Ada', data: { trigger: 'test', length: 3 } },
    });
    expect(execution.durationMs).toEqual(expect.any(Number));
    expect(execution.durationMs).toBeGreaterThanOrEqual(0);
    expect(execution.logs?.join('\n')).toContain('greeting Ada');
  });

  it('executeTool runs it for a call through an assistant assignment', async () => {
    await assign(toolId);
    const execution = await executeTool('greet_js', { name: 'Grace' });
    expect(execution).toMatchObject({
      __typename: 'ToolExecution',
      status: 'SUCCESS',
      triggerContext: 'call',
      outputResult: { success: true, message: 'Hello, Grace', data: { trigger: 'call', length: 5 } },
    });
  });

  it('a runtime error is an ERROR execution with the message, not a GraphQL error', async () => {
    const created = await mutate<ToolResult>(
      CREATE,
      codeTool('throws_js', {
        runtime: 'javascript',
        code: 'export default function execute() {\n  throw new Error("no such caller");\n}',
      }),
    );
    const execution = await testTool(created.id, { name: 'x' });
    expect(execution).toMatchObject({ status: 'ERROR', errorCode: 'FUNCTION_ERROR' });
    expect(execution.errorMessage).toContain('no such caller');
  });

  it('reads only the secrets its configuration lists', async () => {
    const created = await mutate<ToolResult>(
      CREATE,
      codeTool('secrets_js', {
        runtime: 'javascript',
        environment_variables: ['GREETING_KEY'],
        code: 'export default function execute() {\n  const key = secrets.GREETING_KEY;\n  return { listed: key, prefix: key.slice(0, 3), length: key.length, unlisted: secrets.OTHER_KEY ?? null, names: Object.keys(secrets) };\n}',
      }),
      // A tool that reads a secret runs only when an ADMIN granted it: created by an ADMIN, it is.
      org.keys.ADMIN,
    );
    const execution = await testTool(created.id, { name: 'x' });
    // The value reaches the code; the recorded output never shows it.
    expect(execution).toMatchObject({
      status: 'SUCCESS',
      outputResult: {
        data: {
          listed: '[REDACTED]',
          prefix: 'gk-',
          length: 'gk-listed-123'.length,
          unlisted: null,
          names: ['GREETING_KEY'],
        },
      },
    });
    expect(JSON.stringify(execution)).not.toContain('must-not-leak');
  });
});

describe('Python code tools', () => {
  const broken = [
    'def execute_tool(parameters, context):',
    "    greeting = 'Hello, ' +",
    "    return {'success': True}",
  ].join('\n');
  const fixed = [
    'import json',
    '',
    'def execute_tool(parameters, context):',
    "    print('greeting', parameters['name'])",
    "    payload = json.dumps({'n': len(parameters['name'])})",
    "    return {'success': True, 'message': 'Hello, ' + parameters['name'], 'data': {'trigger': context['triggerContext'], 'payload': payload}}",
  ].join('\n');
  let toolId = '';

  it(
    'reports a syntax error at save time with its line and column',
    async () => {
      const result = await mutate<ToolResult>(CREATE, codeTool('greet_py', { runtime: 'python', code: broken }));
      const issue = codeIssue(result);
      // Line 2 is `    greeting = 'Hello, ' +`: the expression ends after the `+` in column 26.
      expect(issue).toMatchObject({ line: 2, column: 27 });
      const missing = await mutate<ToolResult>(CREATE, codeTool('no_entry_py', { runtime: 'python', code: 'x = 1' }));
      expect(codeIssue(missing).message).toMatch(/execute_tool/);
    },
    PYTHON_TEST_TIMEOUT_MS,
  );

  it(
    'saves, fixes to a new version, and testTool records status, duration, logs and output',
    async () => {
      const created = await mutate<ToolResult>(
        CREATE,
        codeTool('greet_py', { runtime: 'python', allowed_imports: ['json'], code: fixed.replace('Hello', 'Hi') }),
      );
      expect(created).toMatchObject({ __typename: 'Tool', version: 1 });
      toolId = created.id;
      const refused = await mutate<ToolResult>(UPDATE, {
        id: toolId,
        configuration: { runtime: 'python', code: broken },
      });
      expect(codeIssue(refused)).toMatchObject({ line: 2 });
      const updated = await mutate<ToolResult>(UPDATE, {
        id: toolId,
        configuration: { runtime: 'python', allowed_imports: ['json'], code: fixed },
      });
      expect(updated).toMatchObject({ __typename: 'Tool', version: 2 });

      const execution = await testTool(toolId, { name: 'Ada' });
      expect(execution).toMatchObject({
        __typename: 'ToolExecution',
        status: 'SUCCESS',
        triggerContext: 'test',
        toolVersion: 2,
        outputResult: { success: true, message: 'Hello, Ada', data: { trigger: 'test', payload: '{"n": 3}' } },
      });
      expect(execution.durationMs).toEqual(expect.any(Number));
      expect(execution.logs?.join('\n')).toContain('greeting Ada');
    },
    PYTHON_TEST_TIMEOUT_MS,
  );

  it(
    'executeTool runs it for a call through an assistant assignment',
    async () => {
      await assign(toolId);
      const execution = await executeTool('greet_py', { name: 'Grace' });
      expect(execution).toMatchObject({
        status: 'SUCCESS',
        triggerContext: 'call',
        outputResult: { success: true, message: 'Hello, Grace', data: { trigger: 'call', payload: '{"n": 5}' } },
      });
    },
    PYTHON_TEST_TIMEOUT_MS,
  );

  it(
    'enforces allowed_imports: a module beyond the safe standard library and not listed fails with IMPORT_NOT_ALLOWED',
    async () => {
      const code =
        "import json\n\ndef execute_tool(parameters, context):\n    import shlex\n    return {'success': True, 'message': 'imported', 'data': None}";
      const created = await mutate<ToolResult>(
        CREATE,
        codeTool('imports_py', { runtime: 'python', allowed_imports: ['json'], code }),
      );
      expect(created.__typename).toBe('Tool');
      const refused = await testTool(created.id, { name: 'x' });
      expect(refused).toMatchObject({ status: 'ERROR', errorCode: 'IMPORT_NOT_ALLOWED' });
      expect(refused.errorMessage).toContain('shlex');

      const allowed = await mutate<ToolResult>(UPDATE, {
        id: created.id,
        configuration: { runtime: 'python', allowed_imports: ['json', 'shlex'], code },
      });
      expect(allowed).toMatchObject({ __typename: 'Tool', version: 2 });
      expect(await testTool(created.id, { name: 'x' })).toMatchObject({
        status: 'SUCCESS',
        outputResult: { message: 'imported' },
      });
    },
    PYTHON_TEST_TIMEOUT_MS,
  );

  it(
    'reads a secret listed in environment_variables, and not one that is not listed',
    async () => {
      const code = [
        'def execute_tool(parameters, context):',
        "    unlisted = 'OTHER_KEY' in secrets",
        "    key = secrets['GREETING_KEY']",
        "    return {'success': True, 'message': 'ok', 'data': {'listed': key, 'prefix': key[:3], 'length': len(key), 'unlisted': unlisted, 'names': sorted(secrets)}}",
      ].join('\n');
      const created = await mutate<ToolResult>(
        CREATE,
        codeTool('secrets_py', { runtime: 'python', environment_variables: ['GREETING_KEY'], code }),
        org.keys.ADMIN,
      );
      const execution = await testTool(created.id, { name: 'x' });
      expect(execution).toMatchObject({
        status: 'SUCCESS',
        outputResult: {
          data: {
            listed: '[REDACTED]',
            prefix: 'gk-',
            length: 'gk-listed-123'.length,
            unlisted: false,
            names: ['GREETING_KEY'],
          },
        },
      });

      const reading = await mutate<ToolResult>(
        CREATE,
        codeTool('unlisted_secret_py', {
          runtime: 'python',
          environment_variables: ['GREETING_KEY'],
          code: "def execute_tool(parameters, context):\n    return secrets['OTHER_KEY']",
        }),
        org.keys.ADMIN,
      );
      const refused = await testTool(reading.id, { name: 'x' });
      expect(refused).toMatchObject({ status: 'ERROR', errorCode: 'FUNCTION_ERROR' });
      expect(refused.errorMessage).toContain('OTHER_KEY');
      expect(JSON.stringify(refused)).not.toContain('must-not-leak');
    },
    PYTHON_TEST_TIMEOUT_MS,
  );
});
