/**
 * Demo data for a first start: an organization, its owner, an assistant with
 * the built-ins, example tools and an API key. Seeded once; DEMO_API_KEY and
 * DEMO_PASSWORD, when set, are (re)applied on every start so scripts can rely on them.
 */
import type { Actor } from '../actor.ts';
import type { Config } from '../config.ts';
import type { Prisma } from '../db/database.ts';
import { toJson } from '../db/json.ts';
import { hashPassword } from '../security/passwords.ts';
import { API_KEY_PREFIX, apiKeyParts, generateApiKey, randomToken } from '../security/tokens.ts';
import { createTool, type ConfigurationValidator } from '../tools/tool-service.ts';
import { assignTool } from '../assistants/assistant-service.ts';
import { findBuiltinTemplate, templateTool } from '../library/templates.ts';

export const DEMO_EMAIL = 'demo@switchboard.local';
/** Catalog templates the demo organization starts with, assigned to its assistant. */
const DEMO_TEMPLATES = ['builtin:order-status', 'builtin:business-hours', 'builtin:support-ticket'];
const DEMO_SLUG = 'demo';
const DEMO_KEY_NAME = 'Demo key';

export interface DemoCredentials {
  email: string;
  /** Null when the password was generated on an earlier start (it is only shown once). */
  password: string | null;
  /** Null when the key was generated on an earlier start. */
  apiKey: string | null;
  created: boolean;
}

const LEGACY_SETTINGS = {
  enabled_tools: ['endCall', 'transferCall'],
  end_call: {
    enabled: true,
    scenarios: ['caller says goodbye', 'caller asks to end the call'],
    message: 'Thanks for calling. Goodbye!',
  },
  transfer_call: {
    enabled: true,
    transfer_numbers: [{ name: 'Front desk', number: '+15555550100', description: 'Billing and general questions' }],
    message: 'Let me transfer you now.',
  },
  custom_tools: [],
};

export async function seedDemo(
  prisma: Prisma,
  config: Config,
  validateConfiguration: ConfigurationValidator,
): Promise<DemoCredentials> {
  let organization = await prisma.organization.findUnique({ where: { slug: DEMO_SLUG } });
  let password = config.demo.password;
  let apiKey = config.demo.apiKey;
  const created = organization === null && (await prisma.organization.count()) === 0;

  if (created) {
    password ??= randomToken(12);
    organization = await prisma.organization.create({
      data: {
        name: 'Demo Organization',
        slug: DEMO_SLUG,
        featureFlags: { ENDPOINT: true, CODE: true, LAMBDA: true },
        memberships: {
          create: {
            role: 'OWNER',
            user: { create: { email: DEMO_EMAIL, name: 'Demo Owner', passwordHash: await hashPassword(password) } },
          },
        },
        assistants: { create: { name: 'Front desk assistant', toolsSettings: toJson(LEGACY_SETTINGS) } },
      },
    });
    const owner = await prisma.user.findUniqueOrThrow({ where: { email: DEMO_EMAIL } });
    const assistant = await prisma.assistant.findFirstOrThrow({ where: { organizationId: organization.id } });
    const actor: Actor = { organizationId: organization.id, role: 'OWNER', userId: owner.id, apiKeyId: null };
    for (const templateId of DEMO_TEMPLATES) {
      const template = findBuiltinTemplate(templateId);
      if (!template) continue;
      const tool = templateTool(template);
      // A tool type this server cannot validate (e.g. a runtime switched off) is skipped, not fatal.
      if ((await validateConfiguration(tool.type, (tool.configuration ?? {}) as never)).length > 0) continue;
      const created = await createTool({ prisma, validateConfiguration }, actor, tool);
      await assignTool({ prisma, validateConfiguration }, actor, { assistantId: assistant.id, toolId: created.id });
    }
  } else if (organization && password) {
    const hash = await hashPassword(password);
    await prisma.user.updateMany({ where: { email: DEMO_EMAIL }, data: { passwordHash: hash } });
  }
  if (!organization) return { email: DEMO_EMAIL, password: null, apiKey: null, created: false };
  // A key acts with at most its creator's role, so the demo key answers to the demo owner.
  const createdById = (await prisma.user.findUnique({ where: { email: DEMO_EMAIL } }))?.id ?? null;
  // Demo keys seeded before keys needed a creator answer to the demo owner too.
  if (createdById) {
    await prisma.apiKey.updateMany({
      where: { organizationId: organization.id, name: DEMO_KEY_NAME, createdById: null },
      data: { createdById },
    });
  }

  if (apiKey) {
    if (!apiKey.startsWith(API_KEY_PREFIX)) throw new Error(`DEMO_API_KEY must start with "${API_KEY_PREFIX}"`);
    const { prefix, hash } = apiKeyParts(apiKey);
    await prisma.apiKey.upsert({
      where: { keyHash: hash },
      create: {
        organizationId: organization.id,
        name: DEMO_KEY_NAME,
        prefix,
        keyHash: hash,
        role: 'OWNER',
        createdById,
      },
      update: { revokedAt: null, createdById },
    });
  } else if (created) {
    const generated = generateApiKey();
    apiKey = generated.key;
    await prisma.apiKey.create({
      data: {
        organizationId: organization.id,
        name: DEMO_KEY_NAME,
        prefix: generated.prefix,
        keyHash: generated.hash,
        role: 'OWNER',
        createdById,
      },
    });
  }
  return { email: DEMO_EMAIL, password: created || config.demo.password ? password : null, apiKey, created };
}
