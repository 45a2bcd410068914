/** Compiles tests/types/openai-shapes.ts against the installed `openai` types with the project's compiler options. */
import { fileURLToPath } from 'node:url';
import ts from 'typescript';
import { expect, test } from 'vitest';

test("Switchboard's Chat Completions and Responses shapes type-check against the openai package", () => {
  const configPath = fileURLToPath(new URL('../../tsconfig.json', import.meta.url));
  const config = ts.getParsedCommandLineOfConfigFile(
    configPath,
    {},
    { ...ts.sys, onUnRecoverableConfigFileDiagnostic: () => {} },
  );
  expect(config).toBeDefined();
  const file = fileURLToPath(new URL('../types/openai-shapes.ts', import.meta.url));
  const program = ts.createProgram([file], { ...config!.options, noEmit: true });
  const diagnostics = ts
    .getPreEmitDiagnostics(program)
    .map((diagnostic) => ts.flattenDiagnosticMessageText(diagnostic.messageText, '\n'));
  expect(diagnostics).toEqual([]);
}, 60_000);
