/**
 * The platform exports against each platform's SDK: tests/types/platform-export-shapes.ts compiled with the
 * project's options (no diagnostics), and ElevenLabs' own serializer parsing a rendered export strictly.
 */
import { fileURLToPath } from 'node:url';
import * as serialization from '@elevenlabs/elevenlabs-js/serialization/index.js';
import ts from 'typescript';
import { expect, test } from 'vitest';
import { elevenLabsExport, elevenLabsTools } from '../../server/integrations/exports/elevenlabs-export.ts';
import type { ExportSource } from '../../server/integrations/exports/export-source.ts';
import { retellExport, retellTools } from '../../server/integrations/exports/retell-export.ts';
import { vapiTools } from '../../server/integrations/exports/vapi-export.ts';

test("the Vapi, Retell and ElevenLabs export shapes type-check against the platforms' SDKs", () => {
  const configPath = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  expect(config).toBeDefined();
  const file = fileURLToPath(new URL('../types/platform-export-shapes.ts', import.meta.url));
  const program = ts.createProgram([file], { ...config!.options, noEmit: true });
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  expect(diagnostics).toEqual([]);
}, 120_000);

const source: ExportSource = {
  assistantId: '7d0f3c1e-0000-4000-8000-000000000001',
  baseUrl: 'https://switchboard.example.com/base',
  definitions: [],
  tools: [
    {
      function: {
        name: 'book_table',
        description: 'Book a table',
        parameters: {
          type: 'object',
          properties: {
            party: { type: 'integer', minimum: 1 },
            when: { type: ['string', 'null'], format: 'date-time', description: 'ISO time' },
            seating: { type: 'string', enum: ['inside', 'terrace'] },
            size: { enum: [1, 2] },
            guests: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
            contact: { anyOf: [{ type: 'null' }, { type: 'object', properties: { phone: { type: 'string' } } }] },
          },
          required: ['party', 'ghost'],
          additionalProperties: false,
        },
      },
      messages: {
        requestStart: 'One moment.',
        requestDelayed: { message: 'Still booking.', afterMs: 'auto' as unknown as number },
        requestComplete: 'Booked.',
        requestFailed: 'That did not work.',
      },
      answerWithinSeconds: 12,
      executionMode: 'async',
    },
  ],
  builtins: {
    endCall: { description: 'End the phone call.', message: 'Goodbye.' },
    transferCall: {
      description: 'Transfer the caller.',
      message: null,
      numbers: [
        { name: 'Sales', number: '+15550001111', description: 'new orders' },
        { name: 'Support', number: '+15550002222', description: '' },
      ],
    },
  },
};

test("ElevenLabs' own serializer accepts every exported tool config, unknown keys refused", () => {
  const tools = elevenLabsTools(source);
  expect(tools.map((tool) => tool.type)).toEqual(['webhook', 'system', 'system']);
  for (const tool of tools) {
    const parsed = serialization.ToolRequestModelToolConfig.parse(tool, { unrecognizedObjectKeys: 'fail' });
    expect(parsed.ok ? [] : parsed.errors).toEqual([]);
  }
});

test('schemas narrow to what the platforms accept, and a non-numeric delay falls back to the default', () => {
  const [webhook] = elevenLabsTools(source);
  expect(webhook).toMatchObject({
    api_schema: {
      request_body_schema: {
        type: 'object',
        required: ['party'],
        properties: {
          party: { type: 'integer', description: 'party' },
          when: { type: 'string', description: 'ISO time' },
          seating: { type: 'string', enum: ['inside', 'terrace'] },
          size: { type: 'string' },
          guests: { type: 'array', items: { type: 'object', properties: { name: { type: 'string' } } } },
          contact: { type: 'object', properties: { phone: { type: 'string' } } },
        },
      },
    },
  });
  const [vapi] = vapiTools(source);
  expect(vapi).toMatchObject({
    messages: expect.arrayContaining([
      { type: 'request-response-delayed', content: 'Still booking.', timingMilliseconds: 2_000 },
    ]),
  });
  const [retell, , transfer] = retellTools(source);
  expect(retell).toMatchObject({ timeout_ms: 12_000, url: expect.stringContaining('/base/v1/retell/') });
  expect(transfer).toMatchObject({ type: 'transfer_call', transfer_destination: { type: 'inferred' } });
});

test('an enabled transfer without numbers is left out where the platform needs a destination, and said so', () => {
  const bare: ExportSource = {
    ...source,
    builtins: { ...source.builtins, transferCall: { ...source.builtins.transferCall!, numbers: [] } },
  };
  for (const rendered of [retellExport(bare), elevenLabsExport(bare)]) {
    expect(rendered.tools.map((tool) => tool.type)).not.toContain(
      rendered.platform === 'retell' ? 'transfer_call' : 'transfer_to_number',
    );
    expect(rendered.notes.join(' ')).toContain('no transfer numbers');
  }
  expect(elevenLabsExport(bare).tools.map((tool) => tool.name)).toEqual(['book_table', 'end_call']);
});
