import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { printedSchema } from './index.ts';

const file = fileURLToPath(new URL('../../schema.graphql', import.meta.url));
const printed = printedSchema();
if (process.argv.includes('--check')) {
  const committed = await readFile(file, 'utf8').catch(() => '');
  if (committed !== printed) {
    console.error('schema.graphql is not up to date: run `npm run schema:print`');
    process.exit(1);
  }
  console.log('schema.graphql is up to date');
} else {
  await writeFile(file, printed);
  console.log(`wrote ${file}`);
}
