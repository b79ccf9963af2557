/** Shared by commands: parse configuration or exit with the same precise message as start-up. */
import { ConfigError, type Env, parseEnv } from '../env.js';

export function envOrExit(): Env {
  try {
    return parseEnv(process.env);
  } catch (error) {
    if (error instanceof ConfigError) {
      console.error(error.message);
      process.exit(1);
    }
    throw error;
  }
}
