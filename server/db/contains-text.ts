/**
 * Prisma's `contains` becomes `ILIKE '%' || value || '%'` without escaping the
 * value, so `%` and `_` typed into a search box would act as wildcards. This
 * escapes them (PostgreSQL's default LIKE escape character is the backslash).
 */
export function containsText(search: string): { contains: string; mode: 'insensitive' } {
  return { contains: search.replace(/[\\%_]/g, '\\$&'), mode: 'insensitive' };
}
