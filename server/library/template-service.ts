/**
 * Templates: the built-in catalog plus the organization's own tools marked
 * `isTemplate`. Cloning goes through createTool, so a template is held to the
 * same validation, limits and feature flags as a tool written by hand.
 */
import type { Actor } from '../actor.ts';
import type { Tool } from '../db/generated/prisma/client.ts';
import { uuidOrNil } from '../db/json.ts';
import { NotFoundError } from '../errors.ts';
import type { JsonValue } from '../executors/types.ts';
import { createTool, type CreateToolInput, type ToolDeps } from '../tools/tool-service.ts';
import { BUILTIN_TEMPLATES, findBuiltinTemplate, templateTool, type TemplateSecret } from './templates.ts';
import { secretNamesByOrganization } from './missing-secrets.ts';
import { copyInput, inputOf, requiredSecrets } from './tool-copy.ts';

export interface TemplateView {
  id: string;
  source: 'BUILTIN' | 'ORGANIZATION';
  category: string;
  tool: CreateToolInput;
  requiredSecrets: string[];
  /** What each required secret is and where to get it (names alone for organization templates), and whether set. */
  secrets: Array<TemplateSecret & { isSet: boolean }>;
}

function builtinView(template: (typeof BUILTIN_TEMPLATES)[number]): TemplateView {
  const tool = templateTool(template);
  const names = requiredSecrets(tool.type, (tool.configuration ?? {}) as JsonValue);
  return {
    id: template.id,
    source: 'BUILTIN',
    category: template.category,
    tool,
    requiredSecrets: names,
    secrets: names.map((name) => ({
      ...(template.secrets?.find((secret) => secret.name === name) ?? { name, description: '', helpUrl: '' }),
      isSet: false,
    })),
  };
}

function organizationView(tool: Tool): TemplateView {
  const names = requiredSecrets(tool.type, tool.configuration as JsonValue);
  return {
    id: tool.id,
    source: 'ORGANIZATION',
    category: 'Organization',
    tool: inputOf(tool),
    requiredSecrets: names,
    secrets: names.map((name) => ({ name, description: '', helpUrl: '', isSet: false })),
  };
}

export async function listTemplates(deps: ToolDeps, actor: Actor): Promise<TemplateView[]> {
  const own = await deps.prisma.tool.findMany({
    where: { organizationId: actor.organizationId, isTemplate: true, archivedAt: null },
    orderBy: [{ name: 'asc' }],
  });
  const set = (await secretNamesByOrganization(deps.prisma, [actor.organizationId])).get(actor.organizationId);
  return [...BUILTIN_TEMPLATES.map(builtinView), ...own.map(organizationView)].map((view) => ({
    ...view,
    secrets: view.secrets.map((secret) => ({ ...secret, isSet: set?.has(secret.name) ?? false })),
  }));
}

export async function createToolFromTemplate(
  deps: ToolDeps,
  actor: Actor,
  templateId: string,
  name: string | null | undefined,
): Promise<Tool> {
  const builtin = findBuiltinTemplate(templateId);
  let source: CreateToolInput;
  if (builtin) {
    source = builtinView(builtin).tool;
  } else {
    const tool = await deps.prisma.tool.findFirst({
      where: { id: uuidOrNil(templateId), organizationId: actor.organizationId, isTemplate: true, archivedAt: null },
    });
    if (!tool) throw new NotFoundError('ToolTemplate');
    source = inputOf(tool);
  }
  return createTool(deps, actor, copyInput(source, name || source.name), 'tool.createFromTemplate');
}
