/**
 * What every area of the admin API shares: the error body, the JSON response helper and the
 * error responses every route may give, and the check that refuses unknown query parameters.
 */
import { z } from '@hono/zod-openapi';
import type { Context } from 'hono';
import { AuditInputError } from '../../audit/filters.js';

export const ErrorSchema = z.object({ error: z.string(), message: z.string() }).openapi('Error');

export const json = <T extends z.ZodType>(schema: T, description: string) => ({
  content: { 'application/json': { schema } },
  description,
});
export const errors = {
  400: json(ErrorSchema, 'invalid input; the message says what to fix'),
  401: json(ErrorSchema, 'missing or wrong bearer token'),
  503: json(ErrorSchema, 'ADMIN_TOKEN is not set'),
};

export function queryKeysCheck(c: Context, allowed: readonly string[]) {
  const unknown = Object.keys(c.req.queries()).filter((k) => !allowed.includes(k));
  if (unknown.length > 0)
    throw new AuditInputError(
      `unknown parameter ${unknown.map((k) => `"${k}"`).join(', ')}; known: ${allowed.join(', ')}`,
    );
}
