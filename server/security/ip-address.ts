/**
 * IP literal parsing for the SSRF guard. Works on numbers rather than strings
 * so every spelling of an address (compressed, expanded, dotted tail, zone id)
 * is classified the same way.
 */
import { isIPv4, isIPv6 } from 'node:net';

/** Parses a dotted-quad IPv4 literal into an unsigned 32-bit number. */
export function parseIPv4(ip: string): number | null {
  if (!isIPv4(ip)) return null;
  return ip.split('.').reduce((value, octet) => value * 256 + Number(octet), 0);
}

/** Parses an IPv6 literal (optionally bracketed, with zone id) into eight 16-bit groups. */
export function parseIPv6(input: string): number[] | null {
  let ip = input.startsWith('[') && input.endsWith(']') ? input.slice(1, -1) : input;
  const zone = ip.indexOf('%');
  if (zone !== -1) ip = ip.slice(0, zone);
  if (!isIPv6(ip)) return null;

  const lastColon = ip.lastIndexOf(':');
  const dottedTail = parseIPv4(ip.slice(lastColon + 1));
  if (dottedTail !== null) {
    const high = Math.floor(dottedTail / 0x10000).toString(16);
    const low = (dottedTail % 0x10000).toString(16);
    ip = `${ip.slice(0, lastColon + 1)}${high}:${low}`;
  }

  const toGroups = (part: string): number[] =>
    part === '' ? [] : part.split(':').map((group) => Number.parseInt(group, 16));
  const doubleColon = ip.indexOf('::');
  let groups: number[];
  if (doubleColon === -1) {
    groups = toGroups(ip);
  } else {
    const head = toGroups(ip.slice(0, doubleColon));
    const rest = toGroups(ip.slice(doubleColon + 2));
    const missing = 8 - head.length - rest.length;
    groups = [...head, ...new Array<number>(missing).fill(0), ...rest];
  }
  return groups.length === 8 && groups.every((group) => Number.isInteger(group) && group >= 0 && group <= 0xffff)
    ? groups
    : null;
}

export function formatIPv4(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** Canonical text of an IP literal (lowercase, fully expanded IPv6) for equality checks. */
export function canonicalIp(ip: string): string | null {
  const v4 = parseIPv4(ip);
  if (v4 !== null) return formatIPv4(v4);
  const v6 = parseIPv6(ip);
  if (v6 === null) return null;
  // An IPv4-mapped address is the IPv4 address (dual-stack sockets report it so).
  const [g6 = 0, g7 = 0] = v6.slice(6);
  if (v6.slice(0, 5).every((group) => group === 0) && v6[5] === 0xffff) return formatIPv4(g6 * 0x10000 + g7);
  return v6.map((group) => group.toString(16)).join(':');
}
