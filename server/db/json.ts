import { Prisma } from './generated/prisma/client.ts';
import type { JsonValue } from '../executors/types.ts';

/** A JSON value as Prisma's Json input; `null` becomes SQL NULL. */
export function toDbJson(value: JsonValue | null | undefined): Prisma.InputJsonValue | typeof Prisma.DbNull {
  return value === null || value === undefined ? Prisma.DbNull : (value as Prisma.InputJsonValue);
}

/** Required Json columns: `null` is stored as JSON null, never SQL NULL. */
export function toJson(value: JsonValue): Prisma.InputJsonValue {
  return (value === null ? Prisma.JsonNull : value) as Prisma.InputJsonValue;
}

export function isUniqueViolation(error: unknown): boolean {
  return error instanceof Prisma.PrismaClientKnownRequestError && error.code === 'P2002';
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Ids are UUIDs; anything else can only be "not found", never a database error. */
export function isUuid(value: string): boolean {
  return UUID.test(value);
}

const NIL_UUID = '00000000-0000-0000-0000-000000000000';
/** For lookups: a malformed id matches nothing, exactly like an id from another organization. */
export function uuidOrNil(id: string | number): string {
  const value = String(id);
  return isUuid(value) ? value : NIL_UUID;
}
