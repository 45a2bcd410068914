/**
 * Where a save-time issue belongs in the tool builder. The server names fields
 * by their input path (`configuration.url`,
 * `functionDefinition.parameters.properties.size.enum`); the builder shows each
 * issue once, at the input it is about, and names inputs in the words of their
 * labels, never by path.
 */

/** The part of a save-time issue placement needs (structurally the GraphQL client's FieldIssue). */
export interface Issue {
  field: string | null;
  message: string | null;
}

export interface Place {
  /** The builder's step (0 Basic info, 1 Configuration). */
  step: number;
  /** The input's label, for the summary above the form. */
  label: string;
}

const PLACES: Array<[RegExp, Place]> = [
  [/^name$/, { step: 0, label: 'Function name' }],
  [/^displayName$/, { step: 0, label: 'Display name' }],
  [/^description$/, { step: 0, label: 'Description' }],
  [/^functionDefinition(\.|$)/, { step: 0, label: 'Parameters' }],
  [/^configuration\.url$/, { step: 1, label: 'URL' }],
  [/^configuration\.auth(\.|$)/, { step: 1, label: 'Authentication' }],
  [/^configuration\.headers(\.|$)/, { step: 1, label: 'Headers' }],
  [/^configuration\.query_parameters(\.|$)/, { step: 1, label: 'Query parameters' }],
  [/^configuration\.body_template(\.|$)/, { step: 1, label: 'Body template' }],
  [/^configuration\.response_handling(\.|$)/, { step: 1, label: 'Response mapping' }],
  [/^configuration\.code$/, { step: 1, label: 'Code' }],
  [/^configuration\.function_name$/, { step: 1, label: 'Function' }],
  [/^configuration\.region$/, { step: 1, label: 'Region' }],
  [/^timeoutSeconds$/, { step: 1, label: 'Timeout' }],
  [/^retryAttempts$/, { step: 1, label: 'Retries' }],
];

/** The input an issue is shown at; null when the builder has no input for it (it goes in the summary). */
export function placeOf(field: string | null): Place | null {
  if (!field) return null;
  return PLACES.find(([pattern]) => pattern.test(field))?.[1] ?? null;
}

const PROPERTY_ISSUE = /^functionDefinition\.parameters\.properties\.([^.]+)(?:\.|$)/;

/** The parameter a function-definition issue is about, if it is about one. */
export function parameterOf(field: string | null): string | null {
  return (field && PROPERTY_ISSUE.exec(field)?.[1]) || null;
}

/** `configuration.execution_timeout` → "Execution timeout": a label for an issue with no input of its own. */
export function labelOf(field: string | null): string {
  const last = (field ?? '').split('.').pop() ?? '';
  const words = last
    .replaceAll('_', ' ')
    .replaceAll(/([a-z])([A-Z])/g, '$1 $2')
    .toLowerCase()
    .trim();
  return words ? words[0]!.toUpperCase() + words.slice(1) : 'Tool';
}

/** "Not saved: check URL and Code." — where to look, without repeating what the fields say. */
export function summaryOf(labels: string[]): string {
  const unique = [...new Set(labels)];
  if (unique.length === 0) return 'Not saved.';
  const list = unique.length === 1 ? unique[0] : `${unique.slice(0, -1).join(', ')} and ${unique.at(-1)}`;
  return `Not saved: check ${list}.`;
}

/** Issues with no input in the builder, shown (message only, with a plain label) in the summary. */
export function unplaced<T extends Issue>(issues: T[]): T[] {
  return issues.filter((issue) => placeOf(issue.field) === null);
}
