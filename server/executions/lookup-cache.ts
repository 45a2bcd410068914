/**
 * What the engine resolved for a request (a tool with its assignment, or an
 * assistant with the tool its LLM named), remembered so that a voice call's
 * repeated tool calls skip the lookup statement.
 *
 * Never trusted on its own: every lookup carries the organization's
 * `config_version` it was read at, and the execution row is written only if
 * that is still the organization's version (execution-writer.ts). Database
 * triggers bump the version on any change to the organization's tools,
 * assistants, assignments or feature flags, from any instance or any writer,
 * so an entry that went stale costs one refused write and a fresh lookup,
 * never a run on outdated settings.
 */
import { LRUCache } from 'lru-cache';
import { approximateBytes } from '../cache/approximate-bytes.ts';
import { findAssistantTool, findToolById, type AssistantLookup, type ToolLookup } from './tool-lookup.ts';
import { deepFreeze } from './deep-merge.ts';
import type { HotSql } from './hot-sql.ts';

/**
 * Memory the entries may take at most (each counted with its configuration,
 * which can be 256 KB of code); the least recently used go first. A miss costs one lookup statement.
 */
export const LOOKUP_CACHE_BYTES = 64 * 1024 * 1024;

export interface Cached<T> {
  value: T;
  /** False when this call read it from the database. */
  cached: boolean;
}

export interface ToolLookups {
  byId(
    organizationId: string,
    toolId: string,
    assistantId: string | null,
    fresh: boolean,
  ): Promise<Cached<ToolLookup> | null>;
  byName(
    organizationId: string,
    assistantId: string,
    toolName: string,
    fresh: boolean,
  ): Promise<Cached<AssistantLookup> | null>;
  /** Drops the organization's entries (one turned out stale). */
  forget(organizationId: string): void;
}

export function createToolLookups(sql: HotSql, maxBytes = LOOKUP_CACHE_BYTES): ToolLookups {
  // Keys are JSON arrays starting with the organization id, so its entries can be told apart.
  const entries = new LRUCache<string, ToolLookup | AssistantLookup>({
    maxSize: maxBytes,
    sizeCalculation: (value, key) => approximateBytes(value, key),
  });
  const prefixOf = (organizationId: string): string => `${JSON.stringify([organizationId]).slice(0, -1)},`;

  async function through<T extends ToolLookup | AssistantLookup>(
    key: string,
    fresh: boolean,
    load: () => Promise<T | null>,
  ): Promise<Cached<T> | null> {
    if (!fresh) {
      const hit = entries.get(key) as T | undefined;
      if (hit) return { value: hit, cached: true };
    }
    const value = await load();
    // Not-found answers are not kept: they are errors for the caller, and rare.
    if (!value) {
      entries.delete(key);
      return null;
    }
    // Shared by every request that hits it: nothing may change it afterwards.
    entries.set(key, deepFreeze(value));
    return { value, cached: false };
  }

  return {
    byId: (organizationId, toolId, assistantId, fresh) =>
      through(JSON.stringify([organizationId, 'id', toolId, assistantId]), fresh, () =>
        findToolById(sql, organizationId, toolId, assistantId),
      ),
    byName: (organizationId, assistantId, toolName, fresh) =>
      through(JSON.stringify([organizationId, 'name', assistantId, toolName]), fresh, () =>
        findAssistantTool(sql, organizationId, assistantId, toolName),
      ),
    forget(organizationId) {
      const prefix = prefixOf(organizationId);
      for (const key of [...entries.keys()]) if (key.startsWith(prefix)) entries.delete(key);
    },
  };
}
