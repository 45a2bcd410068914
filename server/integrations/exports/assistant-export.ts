/** One assistant's tools rendered for the platform asked for: the entry point of the exports. */
import type { Prisma } from '../../db/database.ts';
import { ValidationError } from '../../errors.ts';
import { elevenLabsExport } from './elevenlabs-export.ts';
import { loadExportSource, type PlatformExport } from './export-source.ts';
import { mcpExport, openAIExport } from './openai-export.ts';
import { retellExport } from './retell-export.ts';
import { vapiExport } from './vapi-export.ts';

/** OPENAI gives both OpenAI forms; OPENAI_CHAT and OPENAI_RESPONSES give `tools` in the one form each API takes. */
export const EXPORT_PLATFORMS = [
  'VAPI',
  'RETELL',
  'ELEVENLABS',
  'OPENAI',
  'OPENAI_CHAT',
  'OPENAI_RESPONSES',
  'MCP',
] as const;
export type ExportPlatform = (typeof EXPORT_PLATFORMS)[number];

export interface ExportOptions {
  /** Where the platform reaches this Switchboard (see checkBaseUrl). */
  baseUrl: string;
  /** ElevenLabs: the id of the workspace secret holding the server secret; a placeholder when absent. */
  secretId?: string | null;
}

const SECRET_ID_MAX_LENGTH = 200;

/** Case-insensitive, `-` for `_`: `vapi`, `VAPI`, `openai-chat` and `OPENAI_CHAT` all name one. */
export function parseExportPlatform(value: string, field = 'platform'): ExportPlatform {
  const platform = value.toUpperCase().replaceAll('-', '_');
  if (!(EXPORT_PLATFORMS as readonly string[]).includes(platform))
    throw new ValidationError([
      {
        field,
        message: `must be one of ${EXPORT_PLATFORMS.map((p) => p.toLowerCase().replaceAll('_', '-')).join(', ')}`,
      },
    ]);
  return platform as ExportPlatform;
}

export async function exportAssistantTools(
  prisma: Prisma,
  organizationId: string,
  assistantId: string,
  platform: ExportPlatform,
  options: ExportOptions,
): Promise<PlatformExport<unknown>> {
  const secretId = options.secretId ?? undefined;
  if (secretId !== undefined && (secretId.trim() === '' || secretId.length > SECRET_ID_MAX_LENGTH))
    throw new ValidationError([{ field: 'secretId', message: `must be 1-${SECRET_ID_MAX_LENGTH} characters` }]);
  const source = await loadExportSource(prisma, organizationId, assistantId, options.baseUrl);
  switch (platform) {
    case 'VAPI':
      return vapiExport(source);
    case 'RETELL':
      return retellExport(source);
    case 'ELEVENLABS':
      return elevenLabsExport(source, secretId);
    case 'OPENAI':
      return openAIExport(source);
    case 'OPENAI_CHAT': {
      const { responsesTools: _responses, ...chat } = openAIExport(source);
      return { ...chat, platform: 'openai-chat' };
    }
    case 'OPENAI_RESPONSES': {
      const { responsesTools, ...rest } = openAIExport(source);
      return { ...rest, platform: 'openai-responses', tools: responsesTools };
    }
    case 'MCP':
      return mcpExport(source);
  }
}
