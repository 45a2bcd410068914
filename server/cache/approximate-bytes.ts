/**
 * What a cached value costs in memory, roughly, for lru-cache's `maxSize`:
 * its JSON text at two bytes per character (V8 stores non-Latin-1 strings as
 * UTF-16), plus a fixed overhead for the entry and its object headers.
 * Caches are bounded by this, not only by their entry count: one entry can
 * be a 256 KB tool configuration, another a 40-byte id.
 */
export const ENTRY_OVERHEAD_BYTES = 128;

export function approximateBytes(value: unknown, key = ''): number {
  let text: string | undefined;
  try {
    text = typeof value === 'string' ? value : JSON.stringify(value);
  } catch {
    text = undefined;
  }
  return ENTRY_OVERHEAD_BYTES + 2 * (key.length + (text?.length ?? 0));
}
