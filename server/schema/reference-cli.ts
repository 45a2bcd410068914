import { readFile, writeFile } from 'node:fs/promises';
import { fileURLToPath } from 'node:url';
import { buildSchema } from 'graphql';
import { referenceMarkdown } from './reference-markdown.ts';

// From the committed schema.graphql, so the page matches what clients see.
const source = await readFile(fileURLToPath(new URL('../../schema.graphql', import.meta.url)), 'utf8');
const file = fileURLToPath(new URL('../../docs/graphql.md', import.meta.url));
await writeFile(file, referenceMarkdown(buildSchema(source)));
console.log(`wrote ${file}`);
