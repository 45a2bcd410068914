/** A small JavaScript CODE tool (greets `name`) for tests that need a tool that really runs. */
export const GREETING_CODE = `export default async function execute(parameters) {
  return { success: true, message: 'Hello, ' + parameters.name };
}`;

export function greetingTool(
  name: string,
  code = GREETING_CODE,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  return {
    name,
    type: 'CODE',
    description: `Greets a caller (${name})`,
    configuration: { runtime: 'javascript', code },
    timeoutSeconds: 20,
    functionDefinition: {
      name,
      description: 'Greet a caller by name',
      parameters: { type: 'object', properties: { name: { type: 'string' } }, required: ['name'] },
    },
    ...extra,
  };
}
