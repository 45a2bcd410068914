/** Shapes of the marketplace: built-in and organization templates, public tools, and tool bundles. */
import type { FieldIssue } from './graphql/client.ts';
import { isObject, type JsonObject, type JsonValue, type ToolType } from './tools.ts';

/** A secret a catalog item needs; description and helpUrl come with built-in templates only. */
export interface SecretInfo {
  name: string;
  description: string | null;
  helpUrl: string | null;
}

/** A template or a public tool, shown the same way in the catalog. */
export interface CatalogItem {
  /** Unique across both kinds (a template id and a public tool id never collide once prefixed). */
  key: string;
  kind: 'template' | 'public';
  /** templateId for createToolFromTemplate, toolId for installPublicTool. */
  id: string;
  name: string;
  displayName: string;
  description: string;
  type: ToolType;
  configuration: JsonValue;
  functionDefinition: JsonValue;
  messages: JsonValue;
  requiredSecrets: string[];
  /** The required secrets with what each is and where to get it, when the catalog knows. */
  secrets: SecretInfo[];
  /** Templates: the catalog category; public tools: none. */
  category: string | null;
  source: 'BUILTIN' | 'ORGANIZATION' | null;
  authorOrganization: string | null;
  version: number | null;
  installCount: number | null;
  updatedAt: string | null;
}

interface TemplateNode {
  id: string;
  source: 'BUILTIN' | 'ORGANIZATION';
  category: string | null;
  name: string;
  displayName: string | null;
  description: string | null;
  type: ToolType;
  configuration: JsonValue;
  functionDefinition: JsonValue;
  messages: JsonValue;
  requiredSecrets: string[] | null;
  secrets: SecretInfo[] | null;
}

interface PublicToolNode {
  id: string;
  name: string;
  displayName: string | null;
  description: string | null;
  type: ToolType;
  configuration: JsonValue;
  functionDefinition: JsonValue;
  messages: JsonValue;
  requiredSecrets: string[] | null;
  authorOrganization: string | null;
  version: number | null;
  installCount: number | null;
  updatedAt: string | null;
}

export const TEMPLATES_QUERY = `query Templates {
  toolTemplates {
    id source category name displayName description type configuration functionDefinition messages requiredSecrets
    secrets { name description helpUrl }
  }
}`;

export const PUBLIC_TOOLS_QUERY = `query PublicTools($search: String, $type: ToolType) {
  publicTools(search: $search, type: $type, first: 100) {
    id name displayName description type configuration functionDefinition messages requiredSecrets
    authorOrganization version installCount updatedAt
  }
}`;

export type TemplatesData = { toolTemplates: TemplateNode[] | null };
export type PublicToolsData = { publicTools: PublicToolNode[] | null };

export function fromTemplate(node: TemplateNode): CatalogItem {
  return {
    key: `template:${node.id}`,
    kind: 'template',
    id: node.id,
    name: node.name,
    displayName: node.displayName || node.name,
    description: node.description ?? '',
    type: node.type,
    configuration: node.configuration,
    functionDefinition: node.functionDefinition,
    messages: node.messages,
    requiredSecrets: node.requiredSecrets ?? [],
    secrets: node.secrets ?? (node.requiredSecrets ?? []).map((name) => ({ name, description: null, helpUrl: null })),
    category: node.category,
    source: node.source,
    authorOrganization: null,
    version: null,
    installCount: null,
    updatedAt: null,
  };
}

export function fromPublicTool(node: PublicToolNode): CatalogItem {
  return {
    key: `public:${node.id}`,
    kind: 'public',
    id: node.id,
    name: node.name,
    displayName: node.displayName || node.name,
    description: node.description ?? '',
    type: node.type,
    configuration: node.configuration,
    functionDefinition: node.functionDefinition,
    messages: node.messages,
    requiredSecrets: node.requiredSecrets ?? [],
    secrets: (node.requiredSecrets ?? []).map((name) => ({ name, description: null, helpUrl: null })),
    category: null,
    source: null,
    authorOrganization: node.authorOrganization,
    version: node.version,
    installCount: node.installCount,
    updatedAt: node.updatedAt,
  };
}

export function matches(item: CatalogItem, search: string, type: ToolType | ''): boolean {
  if (type && item.type !== type) return false;
  const needle = search.trim().toLowerCase();
  if (!needle) return true;
  return [item.name, item.displayName, item.description, item.category ?? ''].some((text) =>
    text.toLowerCase().includes(needle),
  );
}

export interface ParameterSummary {
  name: string;
  type: string;
  required: boolean;
  description: string;
}

/** The parameters of an OpenAI function definition, one row each, for a read-only table. */
export function parameterSummary(definition: JsonValue): ParameterSummary[] {
  if (!isObject(definition) || !isObject(definition.parameters)) return [];
  const schema: JsonObject = definition.parameters;
  const properties = isObject(schema.properties) ? schema.properties : {};
  const required = Array.isArray(schema.required) ? schema.required.filter((item) => typeof item === 'string') : [];
  return Object.entries(properties).map(([name, property]) => {
    const spec = isObject(property) ? property : {};
    const enumValues = Array.isArray(spec.enum) ? ` (${spec.enum.map((value) => String(value)).join(', ')})` : '';
    return {
      name,
      type: (typeof spec.type === 'string' ? spec.type : 'any') + enumValues,
      required: required.includes(name),
      description: typeof spec.description === 'string' ? spec.description : '',
    };
  });
}

export type ImportPolicy = 'SKIP' | 'RENAME' | 'OVERWRITE';
export type ImportAction = 'CREATE' | 'INVALID' | 'OVERWRITE' | 'RENAME' | 'SKIP';

export interface ImportReport {
  applied: boolean;
  dryRun: boolean;
  valid: boolean;
  missingSecrets: string[] | null;
  tools: Array<{
    index: number;
    name: string;
    finalName: string | null;
    action: ImportAction;
    toolId: string | null;
    issues: FieldIssue[] | null;
  }> | null;
}

export const IMPORT_POLICIES: Array<{ value: ImportPolicy; label: string }> = [
  { value: 'SKIP', label: 'Skip tools whose name exists' },
  { value: 'RENAME', label: 'Import under a free name (name_2…)' },
  { value: 'OVERWRITE', label: 'Overwrite the existing tool (new version)' },
];

/** What the catalog says about each of `missing`, in that order. */
export function describeSecrets(item: CatalogItem, missing: string[]): SecretInfo[] {
  return missing.map(
    (name) => item.secrets.find((secret) => secret.name === name) ?? { name, description: null, helpUrl: null },
  );
}
