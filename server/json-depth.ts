/**
 * How deeply JSON from callers may nest. Deeper values are refused where they
 * enter (GraphQL's JSON scalar, REST bodies, tool call arguments): the code
 * that handles them later (validation, templates, storage) recurses, and a
 * value 50,000 levels deep would overflow its stack.
 */
export const MAX_JSON_DEPTH = 100;

export const JSON_DEPTH_MESSAGE = `JSON nested deeper than ${MAX_JSON_DEPTH} levels is not accepted`;

/** Whether `value` nests objects or arrays more than `limit` levels deep (checked without recursion). */
export function nestsDeeperThan(value: unknown, limit = MAX_JSON_DEPTH): boolean {
  const pending: Array<{ item: unknown; depth: number }> = [{ item: value, depth: 1 }];
  for (let next = pending.pop(); next; next = pending.pop()) {
    const { item, depth } = next;
    if (typeof item !== 'object' || item === null) continue;
    if (depth > limit) return true;
    for (const child of Array.isArray(item) ? item : Object.values(item)) {
      if (typeof child === 'object' && child !== null) pending.push({ item: child, depth: depth + 1 });
    }
  }
  return false;
}
