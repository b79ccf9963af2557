/**
 * GET /api/rules: the rule set in force (content hash, files, rule count, when it was loaded),
 * so an operator can tell whether a saved edit took effect. The same is logged on each reload.
 */
import { createRoute, type OpenAPIHono, z } from '@hono/zod-openapi';
import type { AppEnv } from '../context.js';
import { errors, json } from './common.js';

/** What the runtime knows of the rule set in force; `loadedAt` null when not loaded from files. */
export interface RulesInForceView {
  readonly hash: string;
  readonly files: readonly string[];
  readonly rules: number;
  readonly loadedAt: Date | null;
}

const RulesInForce = z
  .object({
    hash: z.string(),
    files: z.array(z.string()),
    rules: z.number(),
    loadedAt: z.string().nullable(),
  })
  .openapi('RulesInForce');

const rulesRoute = createRoute({
  method: 'get',
  path: '/rules',
  summary: 'The rule set in force: content hash, files, number of rules, when it was loaded',
  responses: { 200: json(RulesInForce, 'the rule set in force'), ...errors },
});

export function registerRulesRoutes(api: OpenAPIHono<AppEnv>, inForce: () => RulesInForceView): void {
  api.openapi(rulesRoute, (c) => {
    const now = inForce();
    return c.json(
      {
        hash: now.hash,
        files: [...now.files],
        rules: now.rules,
        loadedAt: now.loadedAt?.toISOString() ?? null,
      },
      200,
    );
  });
}
