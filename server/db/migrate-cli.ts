import { loadConfig } from '../config.ts';
import { openDatabase } from './database.ts';
import { migrate } from './migrate.ts';

const config = loadConfig();
const database = await openDatabase({ databaseUrl: config.databaseUrl, dataDir: config.dataDir, migrate: false });
try {
  const applied = await migrate(database.sql);
  console.log(applied.length ? `applied ${applied.join(', ')}` : 'database is up to date');
  console.log(`database: ${database.description}`);
} finally {
  await database.close();
}
