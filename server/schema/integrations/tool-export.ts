import { ValidationError } from '../../errors.ts';
import { EXPORT_PLATFORMS, exportAssistantTools } from '../../integrations/exports/assistant-export.ts';
import { builder } from '../builder.ts';
import { actorOf } from '../viewer-actor.ts';

const ToolExportPlatformEnum = builder.enumType('ToolExportPlatform', {
  description: 'A platform assistantToolExport renders tools for.',
  values: EXPORT_PLATFORMS,
});

builder.queryFields((t) => ({
  assistantToolExport: t.field({
    type: 'JSON',
    authScopes: { role: 'VIEWER' },
    description:
      "The assistant's voice tools rendered for one platform, ready for its API: { platform, assistantId, endpoint, authentication, notes, tools } (OpenAI adds responsesTools and messages, MCP transport). Never contains a secret. NOT_FOUND for an assistant of another organization.",
    args: {
      assistantId: t.arg.id({ required: true }),
      platform: t.arg({ type: ToolExportPlatformEnum, required: true }),
      baseUrl: t.arg.string({
        description:
          'Where the platform reaches Switchboard, e.g. https://switchboard.example.com. Default: the URL this request used.',
      }),
      secretId: t.arg.string({
        description: "ElevenLabs: the id of the workspace secret holding the assistant's server secret.",
      }),
    },
    resolve: (_root, args, context) => {
      const baseUrl = args.baseUrl ?? context.services.config.publicUrl ?? context.requestOrigin;
      if (!baseUrl)
        throw new ValidationError([{ field: 'baseUrl', message: 'is required: the request named no host' }]);
      return exportAssistantTools(
        context.services.prisma,
        actorOf(context).organizationId,
        String(args.assistantId),
        args.platform,
        { baseUrl, secretId: args.secretId },
      );
    },
  }),
}));
