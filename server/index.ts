import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { seedDemo, type DemoCredentials } from './seed/demo-seed.ts';

const config = loadConfig();
const app = await buildApp(config);
const { logger } = app.services;

const demo: DemoCredentials | null = config.demo.seed
  ? await seedDemo(app.services.prisma, config, app.services.validateConfiguration)
  : null;

const url = await app.start();
logger.info({ url, database: config.databaseUrl ? 'postgresql' : 'pglite' }, 'switchboard listening');
if (demo) {
  console.log(
    [
      `Switchboard ${demo.created ? 'seeded a demo organization' : 'demo organization'}:`,
      `  dashboard  ${url}/`,
      `  GraphQL    ${url}/graphql`,
      `  login      ${demo.email} / ${demo.password ?? '(the password printed at first start, or set DEMO_PASSWORD)'}`,
      `  API key    ${demo.apiKey ?? '(the key printed at first start, or set DEMO_API_KEY)'}`,
    ].join('\n'),
  );
}
console.log(`Switchboard listening on ${url}`);

let shuttingDown = false;
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.on(signal, () => {
    if (shuttingDown) return;
    shuttingDown = true;
    logger.info({ signal }, 'shutting down');
    app.stop().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  });
}
