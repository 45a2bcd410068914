/** Where deliveries may go: Vapi's control URL and assistants' callback URLs are checked the same way. */

/** Longer than any real control or callback URL; bounds what a platform message or an admin can make us store. */
export const MAX_DELIVERY_URL_LENGTH = 2048;

/** The URL as given when it is an absolute http(s) URL without credentials and short enough; otherwise null. */
export function deliveryUrl(value: unknown): string | null {
  if (typeof value !== 'string' || value.length === 0 || value.length > MAX_DELIVERY_URL_LENGTH) return null;
  let parsed: URL;
  try {
    parsed = new URL(value);
  } catch {
    return null;
  }
  if (parsed.protocol !== 'http:' && parsed.protocol !== 'https:') return null;
  if (parsed.username || parsed.password) return null;
  return value;
}
