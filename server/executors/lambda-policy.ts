/**
 * What the operator lets Lambda tools reach: the server's own AWS identity (off
 * unless enabled, then only for allow-listed functions) and per-tool endpoints
 * (through the SSRF guard). One set of rules for save time and run time, so a
 * saved tool is not refused at every run.
 */
import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { isIP, type LookupFunction } from 'node:net';
import { systemResolver, vetDestination, GuardedFetchError, type Resolver } from '../security/guarded-connection.ts';
import { isForbiddenAddress, isForbiddenHostname, normalizeHostname, type SsrfPolicy } from '../security/ssrf.ts';
import { unqualifiedFunctionName, type LambdaConfiguration } from './lambda-config.ts';
import type { ConfigurationIssue } from './types.ts';

export interface ServerCredentialsPolicy {
  /** SWITCHBOARD_LAMBDA_SERVER_CREDENTIALS: tools without credential fields may use the server's chain. */
  enabled: boolean;
  /** SWITCHBOARD_LAMBDA_FUNCTION_ALLOWLIST: names or ARNs, `*` matching any run of characters but ":". */
  functionAllowlist: readonly string[];
}

export const SERVER_CREDENTIALS_DISABLED: ServerCredentialsPolicy = { enabled: false, functionAllowlist: [] };

/** How long the run-time endpoint check may spend resolving the endpoint's name. */
const ENDPOINT_RESOLVE_TIMEOUT_MS = 5_000;

function globPattern(glob: string): RegExp {
  const source = glob
    .split('*')
    .map((part) => part.replace(/[\\^$.+?()[\]{}|/-]/g, '\\$&'))
    .join('[^:]*');
  return new RegExp(`^${source}$`);
}

/**
 * Whether `functionName` (as configured, its `:qualifier` ignored) matches an
 * entry. A bare name only matches bare-name entries, so `orders-*` never lets a
 * tool reach a function in another account by ARN.
 */
export function matchesFunctionAllowlist(functionName: string, allowlist: readonly string[]): boolean {
  const target = unqualifiedFunctionName(functionName);
  return allowlist.some((entry) => globPattern(entry).test(target));
}

function usesServerCredentials(config: LambdaConfiguration): boolean {
  return config.access_key_field === undefined;
}

/** Why this configuration may not run on the server's identity (null: it may, or it brings its own). */
export function serverCredentialsRefusal(
  config: LambdaConfiguration,
  policy: ServerCredentialsPolicy,
): ConfigurationIssue | null {
  if (!usesServerCredentials(config)) return null;
  if (!policy.enabled) {
    return {
      field: 'access_key_field',
      message:
        "This server does not let tools use its own AWS identity (SWITCHBOARD_LAMBDA_SERVER_CREDENTIALS is off): set access_key_field and secret_key_field to secrets holding the organization's own keys",
    };
  }
  if (!matchesFunctionAllowlist(config.function_name, policy.functionAllowlist)) {
    return {
      field: 'function_name',
      message: `${config.function_name} is not on the operator's allow-list for the server's AWS identity (SWITCHBOARD_LAMBDA_FUNCTION_ALLOWLIST); use the organization's own credentials`,
    };
  }
  if (config.endpoint !== undefined) {
    return { field: 'endpoint', message: "A per-tool endpoint needs the tool's own credentials" };
  }
  return null;
}

export interface ToolEndpointAgents {
  httpAgent: HttpAgent;
  httpsAgent: HttpsAgent;
}

export interface ToolEndpointPolicy {
  /** At run time: null to allow, or why not (resolves the name, like the endpoint executor's guard). */
  toolEndpointPolicy: (url: URL) => Promise<string | null>;
  /** At save time: what can be known without DNS (literal private addresses, localhost, metadata names). */
  toolEndpointSaveCheck: (url: URL) => string | null;
  /** Agents whose every connection re-checks the addresses it resolves: a name cannot rebind after the check. */
  toolEndpointAgents: (url: URL) => ToolEndpointAgents;
}

/** A connect-time DNS lookup that fails (code SSRF_BLOCKED) when any address is refused by `policy`. */
export function guardedLookup(policy: SsrfPolicy, port: number, resolve: Resolver = systemResolver): LookupFunction {
  return (hostname, options, callback) => {
    resolve(hostname).then(
      (addresses) => {
        const refused = addresses.find((address) => !policy.isAllowedDestination(hostname, address, port));
        if (refused !== undefined || addresses.length === 0) {
          const error = Object.assign(
            new Error(`Requests to ${hostname} are not allowed: it resolves to a private or reserved address`),
            { code: 'SSRF_BLOCKED' },
          );
          callback(error, '', 0);
          return;
        }
        const entries = addresses.map((address) => ({ address, family: isIP(address) }));
        const wanted = options.family === 4 || options.family === 6 ? options.family : 0;
        const usable = wanted === 0 ? entries : entries.filter((entry) => entry.family === wanted);
        const first = usable[0];
        if (options.all) callback(null, usable);
        else if (first) callback(null, first.address, first.family);
        else
          callback(Object.assign(new Error(`${hostname} has no IPv${wanted} address`), { code: 'ENOTFOUND' }), '', 0);
      },
      (error: unknown) => callback(error as NodeJS.ErrnoException, '', 0),
    );
  };
}

/** Per-tool endpoints under the SSRF guard: private and reserved destinations only when allow-listed. */
export function ssrfToolEndpointPolicy(policy: SsrfPolicy, resolve: Resolver = systemResolver): ToolEndpointPolicy {
  return {
    toolEndpointAgents(url) {
      const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
      const lookup = guardedLookup(policy, port, resolve);
      return {
        httpAgent: new HttpAgent({ keepAlive: true, lookup }),
        httpsAgent: new HttpsAgent({ keepAlive: true, lookup }),
      };
    },
    async toolEndpointPolicy(url) {
      try {
        await vetDestination(url, {
          policy,
          signal: AbortSignal.timeout(ENDPOINT_RESOLVE_TIMEOUT_MS),
          resolve,
          redirect: false,
        });
        return null;
      } catch (error) {
        if (error instanceof GuardedFetchError) return error.message;
        throw error;
      }
    },
    toolEndpointSaveCheck(url) {
      const host = normalizeHostname(url.hostname);
      const port = url.port === '' ? (url.protocol === 'https:' ? 443 : 80) : Number(url.port);
      const forbidden = isIP(host) !== 0 ? isForbiddenAddress(host) : isForbiddenHostname(host);
      return forbidden && !policy.isAllowListedHost(host, port)
        ? `${host} is a private or reserved destination; ask the operator to allow-list it (SWITCHBOARD_ALLOWED_PRIVATE_HOSTS)`
        : null;
    },
  };
}
