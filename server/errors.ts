/**
 * Expected failures of domain operations. The GraphQL layer turns these into
 * result-union members; other adapters (REST, MCP) map them their own way.
 */

export interface FieldIssue {
  /** Dotted path of the input field, e.g. `configuration.url` or `functionDefinition.parameters`. */
  field: string;
  message: string;
  line?: number;
  column?: number;
}

export class NotFoundError extends Error {
  override name = 'NotFoundError';
  readonly entity: string;
  constructor(entity: string) {
    super(`${entity} not found`);
    this.entity = entity;
  }
}

export class ConflictError extends Error {
  override name = 'ConflictError';
  readonly field: string | null;
  constructor(message: string, field: string | null = null) {
    super(message);
    this.field = field;
  }
}

export class ValidationError extends Error {
  override name = 'ValidationError';
  readonly issues: FieldIssue[];
  constructor(issues: FieldIssue[]) {
    super(issues.map((issue) => `${issue.field}: ${issue.message}`).join('; ') || 'invalid input');
    this.issues = issues;
  }
}

/** Authentication / authorization failures: never result unions, always top-level errors. */
export class AccessError extends Error {
  override name = 'AccessError';
  readonly code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'RATE_LIMITED';
  constructor(code: 'UNAUTHENTICATED' | 'FORBIDDEN' | 'RATE_LIMITED', message: string) {
    super(message);
    this.code = code;
  }
}

/** A tool type the organization has not (yet) enabled: creating or running such a tool is refused. */
export class FeatureDisabledError extends Error {
  override name = 'FeatureDisabledError';
  readonly feature: string;
  constructor(feature: string, message = `${feature} tools are not enabled for this organization`) {
    super(message);
    this.feature = feature;
  }
}
