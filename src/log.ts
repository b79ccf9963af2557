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
    if (value instanceof Error) return errorFields(value, 0);
    if (depth > 4 || value === null || typeof value !== 'object') return value;
    if (Array.isArray(value)) return value.map((v) => clean(v, depth + 1));
    const out: Record<string, unknown> = {};
    for (const [k, v] of Object.entries(value))
      out[k] = credentialKey.test(k) ? '[redacted]' : clean(v, depth + 1);
    return out;
  };

  /**
   * An error as its name, code and message, then its cause (a database driver's error under the
   * query builder's). Messages are cut short: a failed query's message carries its parameters,
   * which can be a whole batch of comment texts.
   */
  const errorFields = (error: Error, depth: number): LogFields => {
    const out: LogFields = { name: error.name, message: mask(short(error.message)) };
    const code = (error as { code?: unknown }).code;
    if (typeof code === 'string' || typeof code === 'number') out.code = code;
    if (error.cause instanceof Error && depth < 3) out.cause = errorFields(error.cause, depth + 1);
    return out;
  };

  const sink: Sink = {
    level,
    emit(lvl, msg, base, fields) {
      const record = clean({ level: lvl, time: new Date().toISOString(), msg, ...base, ...fields }, 0);
      write(JSON.stringify(record));
    },
  };
  return new JsonLogger(sink, options.base ?? {});
}

interface Sink {
  readonly level: number;
  emit(lvl: LogLevel, msg: string, base: LogFields, fields: LogFields | undefined): void;
}

/**
 * A class, not closures: a child logger is made for every request, and methods on the prototype
 * make that one small object (with tsx, each closure also cost a defineProperty for its name).
 */
class JsonLogger implements Logger {
  constructor(
    private readonly sink: Sink,
    private readonly base: LogFields,
  ) {}
  private log(lvl: LogLevel, msg: string, fields: LogFields | undefined): void {
    if (rank[lvl] >= this.sink.level) this.sink.emit(lvl, msg, this.base, fields);
  }
  debug(msg: string, fields?: LogFields): void {
    this.log('debug', msg, fields);
  }
  info(msg: string, fields?: LogFields): void {
    this.log('info', msg, fields);
  }
  warn(msg: string, fields?: LogFields): void {
    this.log('warn', msg, fields);
  }
  error(msg: string, fields?: LogFields): void {
    this.log('error', msg, fields);
  }
  child(fields: LogFields): Logger {
    return new JsonLogger(this.sink, { ...this.base, ...fields });
  }
}

const maxMessage = 300;
function short(text: string): string {
  return text.length > maxMessage ? `${text.slice(0, maxMessage)}… (${text.length} characters)` : text;
}

/** A logger that prints nothing (tests, benchmarks). */
export const silentLogger: Logger = createLogger({ level: 'silent' });
