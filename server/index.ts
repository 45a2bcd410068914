import { buildApp } from './app.ts';
import { loadConfig } from './config.ts';
import { seedDemo } from './seed/demo-seed.ts';

const config = loadConfig();
const app = await buildApp(config);
const { logger } = app.services;

if (config.demo.seed) {
  const demo = await seedDemo(app.services.prisma, config, app.services.validateConfiguration);
  const url = `http://${config.host.includes(':') ? `[${config.host}]` : config.host}:${config.port}`;
  const lines = [
    `Switchboard ${demo.created ? 'seeded a demo organization' : 'demo organization'}:`,
    `  dashboard  ${url}/`,
    `  GraphQL    ${url}/graphql`,
    `  login      ${demo.email} / ${demo.password ?? '(the password printed at first start, or set DEMO_PASSWORD)'}`,
    `  API key    ${demo.apiKey ?? '(the key printed at first start, or set DEMO_API_KEY)'}`,
  ];
  console.log(lines.join('\n'));
}

const url = await app.start();
logger.info({ url, database: config.databaseUrl ? 'postgresql' : 'pglite' }, 'switchboard listening');
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
