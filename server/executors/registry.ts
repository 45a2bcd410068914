/**
 * The executors the engine can dispatch to, by tool type, and the per-type
 * configuration validation the tool service runs at save time.
 */
import type { ConfigurationValidator } from '../tools/tool-service.ts';
import type { ConfigurationIssue, Executor, ToolType } from './types.ts';

export interface ExecutorRegistry {
  get(type: ToolType): Executor | undefined;
  validateConfiguration: ConfigurationValidator;
}

export function createExecutorRegistry(executors: Executor[]): ExecutorRegistry {
  const byType = new Map(executors.map((executor) => [executor.type, executor]));
  return {
    get: (type) => byType.get(type),
    async validateConfiguration(type, configuration, context): Promise<ConfigurationIssue[]> {
      const executor = byType.get(type);
      if (!executor) return [{ field: '', message: `${type} tools are not available on this server` }];
      return executor.validateConfiguration(configuration, context);
    },
  };
}
