/** The admin listener's bearer token: read once at start, compared in constant time. */
import { createHash, timingSafeEqual } from 'node:crypto';
import { ADMIN_TOKEN_MIN_LENGTH, type AdminListenerConfig } from '../../model';
import { describeSecret, readSecret } from '../secrets';

/**
 * Reads the token. Surrounding whitespace is dropped (a token file usually
 * ends with a newline, which no header can carry). Throws when it is missing
 * or shorter than ADMIN_TOKEN_MIN_LENGTH.
 */
export function readAdminToken(admin: AdminListenerConfig, baseDir: string, env: NodeJS.ProcessEnv): string {
  const token = readSecret(admin.token, baseDir, env).trim();
  if (token.length < ADMIN_TOKEN_MIN_LENGTH)
    throw new Error(
      `the admin token (${describeSecret(admin.token)}) must be at least ${ADMIN_TOKEN_MIN_LENGTH} characters`,
    );
  return token;
}

/** Whether an `Authorization` header is `Bearer <token>`. */
export function bearerMatches(header: string | undefined, token: string): boolean {
  const presented = /^Bearer +(\S+)$/i.exec(header ?? '')?.[1] ?? '';
  // Hash both sides: equal lengths for timingSafeEqual, and no early exit on the first differing byte.
  return timingSafeEqual(createHash('sha256').update(presented).digest(), createHash('sha256').update(token).digest());
}
