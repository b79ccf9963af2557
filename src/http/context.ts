import type { RequestIdVariables } from 'hono/request-id';
import type { Logger } from '../log.js';

/** Variables every request carries: its id and a logger that stamps it on each line. */
export type AppEnv = { Variables: RequestIdVariables & { log: Logger } };
