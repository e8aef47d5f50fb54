/** Admin API errors: the model's `AdminError` body with the status its code stands for. */
import type { AdminError, AdminErrorCode } from '../../model';
import type { ConfigIssue } from '../../model';

/** The HTTP status of each admin error code (documented in the README's admin error table). */
export const ADMIN_ERROR_STATUS: Readonly<Record<AdminErrorCode, number>> = {
  BadRequest: 400,
  Unauthorized: 401,
  NotFound: 404,
  MethodNotAllowed: 405,
  ConfigConflict: 409,
  PayloadTooLarge: 413,
  ConfigInvalid: 422,
  BundleMissing: 422,
  BundleInvalid: 422,
  InternalError: 500,
};

/** Thrown by the admin pipeline; the server answers it as is. */
export class AdminFailure extends Error {
  readonly status: number;

  constructor(
    readonly body: AdminError,
    /** Extra response headers (`Allow`, `WWW-Authenticate`). */
    readonly headers: Readonly<Record<string, string>> = {},
  ) {
    super(body.message);
    this.status = ADMIN_ERROR_STATUS[body.code];
  }

  /** The message and every issue, on one line, for the event log. */
  describe(): string {
    const issues = this.body.issues ?? [];
    return issues.length === 0
      ? this.message
      : `${this.message}: ${issues.map((i) => `${i.field} ${i.message}`).join('; ')}`;
  }
}

export function adminFailure(
  code: AdminErrorCode,
  message: string,
  extra: {
    readonly issues?: readonly ConfigIssue[];
    readonly etag?: string;
    readonly headers?: Record<string, string>;
  } = {},
): AdminFailure {
  const body: AdminError = { code, message };
  if (extra.issues) body.issues = extra.issues.map((i) => ({ field: i.field, message: i.message }));
  if (extra.etag !== undefined) body.etag = extra.etag;
  return new AdminFailure(body, extra.headers);
}

/** Why something failed, for the event log: an AdminFailure with its issues, any other error's message. */
export function reasonOf(err: unknown): string {
  return err instanceof AdminFailure ? err.describe() : (err as Error).message;
}
