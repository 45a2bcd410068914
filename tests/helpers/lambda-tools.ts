/**
 * LAMBDA tools against the fake Lambda for tests that go through a real app:
 * the organization's AWS credentials stored as secrets, and tools granted them.
 */
import type { Actor } from '../../server/actor.ts';
import { grantOnSave } from '../../server/secrets/secret-grants.ts';
import { setSecret } from '../../server/secrets/secret-store.ts';
import type { TestApp } from './app.ts';
import { LAMBDA_KEY_ID, LAMBDA_REGION, LAMBDA_SECRET_KEY } from './engine-harness.ts';
import { createToolRow, type TestOrganization } from './fixtures.ts';

export interface LambdaToolFactory {
  /** A granted LAMBDA tool invoking `functionName` with the stored credentials. */
  create(functionName: string, extra?: Record<string, unknown>): Promise<{ id: string; name: string }>;
}

/** Stores the fake Lambda's credentials as AWS_KEY / AWS_SECRET in the organization, as its owner. */
export async function lambdaTools(t: TestApp, org: TestOrganization): Promise<LambdaToolFactory> {
  const { prisma, cipher } = t.app.services;
  const owner = await prisma.membership.findFirstOrThrow({ where: { organizationId: org.id, role: 'OWNER' } });
  const actor: Actor = { organizationId: org.id, role: 'OWNER', userId: owner.userId, apiKeyId: null };
  await setSecret({ prisma, cipher }, actor, 'AWS_KEY', LAMBDA_KEY_ID);
  await setSecret({ prisma, cipher }, actor, 'AWS_SECRET', LAMBDA_SECRET_KEY);
  return {
    async create(functionName, extra = {}) {
      const tool = await createToolRow(prisma, org.id, 'LAMBDA', {
        function_name: functionName,
        region: LAMBDA_REGION,
        access_key_field: 'AWS_KEY',
        secret_key_field: 'AWS_SECRET',
        ...extra,
      });
      await grantOnSave(prisma, actor, tool, null);
      return { id: tool.id, name: tool.displayName ?? tool.name };
    },
  };
}
