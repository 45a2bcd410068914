/**
 * Which network destinations tool traffic may reach. Tools are written by
 * organizations and steered by an LLM, so every address they resolve to is
 * checked against the ranges below; the operator can allow-list internal hosts
 * with SWITCHBOARD_ALLOWED_PRIVATE_HOSTS.
 */
import { isIP } from 'node:net';
import { canonicalIp, parseIPv4, parseIPv6 } from './ip-address.ts';

type Cidr4 = readonly [base: string, prefix: number];

/** The operator setting that allows private hosts, named in refusals so users know whom to ask for what. */
export const PRIVATE_HOSTS_SETTING = 'SWITCHBOARD_ALLOWED_PRIVATE_HOSTS';

/** Why a tool may not call `host`, in words for the person building the tool. */
export function privateHostMessage(host: string): string {
  return (
    `${host} is a private network address. Switchboard only calls private hosts the operator lists in the ` +
    `${PRIVATE_HOSTS_SETTING} setting: ask them to add it, or save the tool as inactive until they do.`
  );
}

const FORBIDDEN_IPV4: readonly Cidr4[] = [
  ['0.0.0.0', 8], // "this network", 0.0.0.0 reaches loopback on Linux
  ['10.0.0.0', 8],
  ['100.64.0.0', 10], // CGNAT; also Alibaba's metadata 100.100.100.200
  ['127.0.0.0', 8],
  ['169.254.0.0', 16], // link-local; AWS/GCP/Azure metadata 169.254.169.254
  ['172.16.0.0', 12],
  ['192.0.0.0', 24], // IETF assignments; Oracle metadata 192.0.0.192
  ['192.0.2.0', 24],
  ['192.88.99.0', 24], // 6to4 relay anycast
  ['192.168.0.0', 16],
  ['198.18.0.0', 15],
  ['198.51.100.0', 24],
  ['203.0.113.0', 24],
  ['224.0.0.0', 4],
  ['240.0.0.0', 4], // reserved, includes 255.255.255.255
  ['168.63.129.16', 32], // Azure WireServer: public address, host-local service
];

const FORBIDDEN_IPV4_RANGES = FORBIDDEN_IPV4.map(([base, prefix]) => {
  const size = 2 ** (32 - prefix);
  const start = parseIPv4(base) ?? 0;
  return { start, end: start + size - 1 };
});

function isForbiddenIPv4(value: number): boolean {
  return FORBIDDEN_IPV4_RANGES.some(({ start, end }) => value >= start && value <= end);
}

function embeddedIPv4(high: number, low: number): number {
  return high * 0x10000 + low;
}

function isForbiddenIPv6(groups: number[]): boolean {
  const [g0 = 0, g1 = 0, g2 = 0, g3 = 0, g4 = 0, g5 = 0, g6 = 0, g7 = 0] = groups;
  const lastV4 = embeddedIPv4(g6, g7);
  const upperZero = g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0;

  // ::/96 covers ::, ::1 and the deprecated IPv4-compatible ::a.b.c.d; none is a
  // legitimate destination. ::ffff:a.b.c.d (mapped) and ::ffff:0:a.b.c.d (SIIT)
  // are the IPv4 address in disguise.
  if (upperZero && g5 === 0) return true;
  if (upperZero && g5 === 0xffff) return isForbiddenIPv4(lastV4);
  if (g0 === 0 && g1 === 0 && g2 === 0 && g3 === 0 && g4 === 0xffff && g5 === 0) return isForbiddenIPv4(lastV4);
  // NAT64 well-known prefix translates to the embedded IPv4 address.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 0 && g3 === 0 && g4 === 0 && g5 === 0) return isForbiddenIPv4(lastV4);
  // Local-use NAT64 (RFC 8215) only exists inside private networks.
  if (g0 === 0x64 && g1 === 0xff9b && g2 === 1) return true;
  // 6to4 carries the IPv4 address in groups 1-2.
  if (g0 === 0x2002) return isForbiddenIPv4(embeddedIPv4(g1, g2));
  // Teredo obfuscates the client address; refuse the whole prefix.
  if (g0 === 0x2001 && g1 === 0) return true;
  if (g0 === 0x2001 && g1 === 0x0db8) return true; // documentation
  if (g0 === 0x2001 && g1 >= 0x0010 && g1 <= 0x001f) return true; // ORCHID
  if (g0 === 0x2001 && g1 === 0x0002 && g2 === 0) return true; // benchmarking
  if (g0 === 0x3fff && g1 <= 0x0fff) return true; // documentation (RFC 9637)
  // Only 2000::/3 is global unicast; link-local, ULA (incl. fd00:ec2::254),
  // site-local, multicast and the rest are outside it.
  return g0 < 0x2000 || g0 > 0x3fff;
}

/**
 * True when `ip` must not be contacted: loopback, private, link-local, metadata,
 * multicast, reserved, documentation, and IPv6 forms embedding such an IPv4
 * address. Anything that is not an IP literal is refused too (fail closed).
 */
export function isForbiddenAddress(ip: string): boolean {
  const v4 = parseIPv4(ip);
  if (v4 !== null) return isForbiddenIPv4(v4);
  const v6 = parseIPv6(ip);
  if (v6 !== null) return isForbiddenIPv6(v6);
  return true;
}

/** Names that mean "this machine" or a metadata service before any DNS lookup. */
export function isForbiddenHostname(hostname: string): boolean {
  const name = normalizeHostname(hostname);
  return (
    name === 'localhost' ||
    name.endsWith('.localhost') ||
    name === 'metadata.google.internal' ||
    name === 'metadata' ||
    name === 'instance-data' ||
    name.endsWith('.instance-data')
  );
}

/** Lowercase, without IPv6 brackets or the trailing root dot. */
export function normalizeHostname(hostname: string): string {
  let name = hostname.toLowerCase();
  if (name.startsWith('[') && name.endsWith(']')) name = name.slice(1, -1);
  if (name.endsWith('.')) name = name.slice(0, -1);
  return name;
}

interface AllowEntry {
  /** Hostname or canonical IP. */
  host: string;
  isAddress: boolean;
  port: number | null;
}

export interface SsrfPolicy {
  /** The operator's entries, as configured. */
  readonly allowedPrivateHosts: readonly string[];
  /** Whether a connection to `address`, reached through URL host `hostname`, may be made. */
  isAllowedDestination(hostname: string, address: string, port: number): boolean;
  /** Whether the URL host itself is allow-listed (its name may then resolve privately). */
  isAllowListedHost(hostname: string, port: number): boolean;
}

function parseAllowEntry(entry: string): AllowEntry {
  const text = entry.trim();
  let host = text;
  let port: number | null = null;
  const bracketed = /^\[([^\]]+)\](?::(\d+))?$/.exec(text);
  if (bracketed) {
    host = bracketed[1] ?? '';
    port = bracketed[2] === undefined ? null : Number(bracketed[2]);
  } else if (isIP(text) !== 6) {
    const withPort = /^(.*):(\d+)$/.exec(text);
    if (withPort) {
      host = withPort[1] ?? '';
      port = Number(withPort[2]);
    }
  }
  if (port !== null && (port < 1 || port > 65_535)) throw new Error(`Invalid port in allowed private host "${entry}"`);
  const address = canonicalIp(host);
  if (address !== null) return { host: address, isAddress: true, port };
  const name = normalizeHostname(host);
  if (!/^[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?(\.[a-z0-9_]([a-z0-9_-]*[a-z0-9_])?)*$/.test(name)) {
    throw new Error(`Invalid allowed private host "${entry}": expected a hostname or IP, optionally with :port`);
  }
  return { host: name, isAddress: false, port };
}

/**
 * Parses SWITCHBOARD_ALLOWED_PRIVATE_HOSTS: comma-separated hostnames or IP
 * literals, each optionally with `:port` (IPv6 with a port as `[::1]:8080`).
 * Throws on a malformed entry so a typo fails at boot, not at call time.
 */
export function parseAllowedPrivateHosts(value: string | undefined): string[] {
  if (value === undefined) return [];
  const entries = value
    .split(',')
    .map((entry) => entry.trim())
    .filter((entry) => entry !== '');
  for (const entry of entries) parseAllowEntry(entry);
  return entries;
}

/**
 * Hostname entries allow that name to resolve to private addresses; IP entries
 * allow connections to that address (however the URL named it, since the tool
 * author could have typed the literal anyway). A port restricts the entry to it.
 */
export function createSsrfPolicy(options: { allowedPrivateHosts: string[] }): SsrfPolicy {
  const entries = options.allowedPrivateHosts.map(parseAllowEntry);
  const matches = (host: string, isAddress: boolean, port: number): boolean =>
    entries.some((entry) => entry.isAddress === isAddress && entry.host === host && (entry.port ?? port) === port);

  const isAllowListedHost = (hostname: string, port: number): boolean => {
    const name = normalizeHostname(hostname);
    const address = canonicalIp(name);
    return address !== null ? matches(address, true, port) : matches(name, false, port);
  };

  return {
    allowedPrivateHosts: [...options.allowedPrivateHosts],
    isAllowListedHost,
    isAllowedDestination(hostname, address, port) {
      const canonical = canonicalIp(address);
      if (canonical === null) return false;
      if (!isForbiddenAddress(canonical)) return true;
      return isAllowListedHost(hostname, port) || matches(canonical, true, port);
    },
  };
}
