/**
 * Structured JSON logs, one object per line. Works on Node and Workers (console only).
 * Secrets never reach the output: known secret values are masked wherever they appear, and
 * fields whose names say they hold a credential are dropped.
 */

export type LogLevel = 'debug' | 'info' | 'warn' | 'error' | 'silent';
export type LogFields = Record<string, unknown>;

export interface Logger {
  debug(msg: string, fields?: LogFields): void;
  info(msg: string, fields?: LogFields): void;
  warn(msg: string, fields?: LogFields): void;
  error(msg: string, fields?: LogFields): void;
  /** A logger that adds these fields (e.g. requestId, deliveryId) to every line. */
  child(fields: LogFields): Logger;
}

const rank: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40, silent: 100 };
const credentialKey = /(secret|token|password|authorization|access_?key|api_?key|cookie)/i;

export interface LoggerOptions {
  level?: LogLevel;
  /** Values to mask wherever they occur (app secrets, tokens, database password). */
  secrets?: readonly string[];
  write?: (line: string) => void;
  base?: LogFields;
}

export function createLogger(options: LoggerOptions = {}): Logger {
  const level = rank[options.level ?? 'info'];
  const secrets = (options.secrets ?? []).filter((s) => s.length >= 4);
  const write = options.write ?? ((line: string) => console.log(line));

  const mask = (text: string): string => {
    let out = text;
    for (const secret of secrets) if (out.includes(secret)) out = out.split(secret).join('[redacted]');
    return out;
  };

  const clean = (value: unknown, depth: number): unknown => {
    if (typeof value === 'string') return mask(value);
    if (value instanceof Error) return { name: value.name, message: mask(value.message) };
    if (depth > 4 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = credentialKey.test(k) ? '[redacted]' : clean(v, depth + 1);
    return out;
  };

  const make = (base: LogFields): Logger => {
    const emit = (lvl: LogLevel, msg: string, fields?: LogFields) => {
      if (rank[lvl] < level) return;
      const record = clean({ level: lvl, time: new Date().toISOString(), msg, ...base, ...fields }, 0);
      write(JSON.stringify(record));
    };
    return {
      debug: (m, f) => emit('debug', m, f),
      info: (m, f) => emit('info', m, f),
      warn: (m, f) => emit('warn', m, f),
      error: (m, f) => emit('error', m, f),
      child: (fields) => make({ ...base, ...fields }),
    };
  };
  return make(options.base ?? {});
}

/** A logger that prints nothing (tests, benchmarks). */
export const silentLogger: Logger = createLogger({ level: 'silent' });
