/** Form state for the account screens: a failure becomes messages at the fields it names, or one for the form. */
import { ApiError, errorMessage } from './graphql/client.ts';

export interface FormErrors {
  /** Messages by input field name (`email`, `newPassword`, ...). */
  fields: Record<string, string>;
  /** What is not about one field. */
  form: string | null;
}

export const NO_ERRORS: FormErrors = { fields: {}, form: null };

export function formErrors(error: unknown): FormErrors {
  if (error instanceof ApiError && error.issues.length > 0) {
    const fields: Record<string, string> = {};
    for (const issue of error.issues) {
      if (issue.field && issue.message && !fields[issue.field]) fields[issue.field] = issue.message;
    }
    if (Object.keys(fields).length > 0) return { fields, form: null };
  }
  return { fields: {}, form: errorMessage(error) };
}

/** The shortest password the server accepts for a new one (server/security/passwords.ts). */
export const MIN_PASSWORD_LENGTH = 12;

/** A short description of a browser from its User-Agent, for the session list. */
export function browserName(userAgent: string | null): string {
  if (!userAgent) return 'Unknown browser';
  const browser = /(Edg|Firefox|Chrome|Safari)\/[\d.]+/.exec(userAgent)?.[1];
  const system = /(Windows|Mac OS X|Android|iPhone|Linux)/.exec(userAgent)?.[1];
  const names: Record<string, string> = { Edg: 'Edge', 'Mac OS X': 'macOS' };
  const label = [browser && (names[browser] ?? browser), system && (names[system] ?? system)].filter(Boolean);
  return label.length > 0 ? label.join(' on ') : userAgent.slice(0, 60);
}
