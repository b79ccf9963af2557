/**
 * Hot reload of rule files on Node: a change is read, validated and swapped in atomically; a rule
 * set with any error never takes effect, the last good one stays in force and the errors are
 * reported. Workers bundle the rule files at build time instead (loadRuleSet on the bundled
 * contents).
 *
 * No change is missed: the folder is watched (fs.watch, recursive), and every `rescanMs` a cheap
 * fingerprint of the folder (each rule file's path, size, modification time and inode) is
 * compared with the last one read, which catches what watchers miss: saves by rename (`sed -i`,
 * most editors), in-place writes, new and deleted files, a replaced folder. Events are debounced;
 * a reload that reads the same contents (same hash) changes nothing.
 *
 * Loading never blocks the server for long: it yields to the event loop after each file, each
 * regex's ReDoS check and each rule (loadRuleSetSliced), so webhooks are answered while a large set is parsed and its regexes are
 * checked. A reload never throws: any failure is reported through onRejected.
 */
import { type FSWatcher, watch } from 'node:fs';
import { readdir, stat } from 'node:fs/promises';
import { join } from 'node:path';
import {
  loadRuleSetSliced,
  type RuleError,
  type RuleSet,
  ruleError,
  type SourceFile,
} from '../moderation/index.js';
import { RuleFilesRefused, readRuleFiles } from './files.js';

export interface RuleSourceEvents {
  /** A new rule set is in force (`previous` null: the first load). */
  onLoaded?(ruleSet: RuleSet, previous: RuleSet | null, inForce: RulesInForce): void;
  /** A change was refused; `current` (the last good set) stays in force. */
  onRejected?(errors: readonly RuleError[], current: RuleSet | null): void;
}

/** What is in force, for /api/rules and the log. */
export interface RulesInForce {
  readonly hash: string;
  readonly files: readonly string[];
  readonly rules: number;
  readonly loadedAt: Date;
}

export interface RuleSource {
  /** The rule set in force. Swapped atomically: a caller holds one consistent set per comment. */
  current(): RuleSet;
  inForce(): RulesInForce;
  /** Re-reads the directory now; resolves to whether the new set was accepted (or unchanged). */
  reload(): Promise<boolean>;
  close(): void;
}

export class RuleLoadError extends Error {
  constructor(readonly errors: readonly RuleError[]) {
    super(
      `rule files have ${errors.length} error${errors.length === 1 ? '' : 's'}:\n${errors.map((e) => e.format()).join('\n')}`,
    );
    this.name = 'RuleLoadError';
  }
}

/** One turn of the event loop: pending I/O (webhooks) runs before the load goes on. */
const yieldToIo = () => new Promise<void>((resolve) => setImmediate(resolve));

/** Reads and loads `dir`: the set, or every error (unreadable folder included). */
async function readAndLoad(
  dir: string,
): Promise<{ ok: true; ruleSet: RuleSet } | { ok: false; errors: RuleError[] }> {
  let files: SourceFile[];
  try {
    files = await readRuleFiles(dir);
  } catch (e) {
    if (e instanceof RuleFilesRefused) return { ok: false, errors: [...e.errors] };
    return {
      ok: false,
      errors: [ruleError({ file: dir, message: `cannot read rules: ${(e as Error).message}` })],
    };
  }
  try {
    return await loadRuleSetSliced(files, yieldToIo);
  } catch (e) {
    // A bug or an exhausted resource in the loader must not end the process; report it.
    return {
      ok: false,
      errors: [ruleError({ file: dir, message: `cannot load rules: ${(e as Error).message}` })],
    };
  }
}

/** Path, size, modification time and inode of every entry under `dir`: changes when a file does. */
async function fingerprint(dir: string): Promise<string> {
  try {
    const entries = await readdir(dir, { recursive: true });
    entries.sort();
    const parts: string[] = [];
    for (const name of entries) {
      try {
        const s = await stat(join(dir, name));
        if (s.isFile()) parts.push(`${name}:${s.size}:${s.mtimeMs}:${s.ino}`);
      } catch {
        parts.push(`${name}:gone`);
      }
    }
    return parts.join('\n');
  } catch (e) {
    return `unreadable: ${(e as Error).message}`;
  }
}

/** Loads `dir` once (throws RuleLoadError when the first load fails), then watches it. */
export async function watchRules(
  dir: string,
  events: RuleSourceEvents = {},
  options: {
    debounceMs?: number;
    /** false: load once, never reload by itself. */
    watch?: boolean;
    /** How often the folder's fingerprint is compared (default 2000 ms). */
    rescanMs?: number;
    /** false: no fs.watch, the rescan alone (tests of what a watcher misses). */
    fsEvents?: boolean;
  } = {},
): Promise<RuleSource> {
  let seen = await fingerprint(dir);
  const first = await readAndLoad(dir);
  if (!first.ok) throw new RuleLoadError(first.errors);
  let current: RuleSet = first.ruleSet;
  let inForce = describe(current);
  events.onLoaded?.(current, null, inForce);

  /** A listener that throws must not turn a reload into an unhandled rejection. */
  const tell = (listener: () => void) => {
    try {
      listener();
    } catch (error) {
      console.error('rule reload listener failed:', error);
    }
  };
  let chain: Promise<boolean> = Promise.resolve(true);
  const reload = (): Promise<boolean> => {
    // Serialise reloads so an older read never overwrites a newer one.
    chain = chain.then(async () => {
      seen = await fingerprint(dir);
      const loaded = await readAndLoad(dir);
      if (!loaded.ok) {
        tell(() => events.onRejected?.(loaded.errors, current));
        return false;
      }
      if (loaded.ruleSet.hash === current.hash) return true;
      const previous = current;
      current = loaded.ruleSet;
      inForce = describe(current);
      tell(() => events.onLoaded?.(current, previous, inForce));
      return true;
    });
    return chain;
  };

  let watcher: FSWatcher | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  let rescan: ReturnType<typeof setInterval> | null = null;
  if (options.watch !== false) {
    const debounceMs = options.debounceMs ?? 200;
    const soon = () => {
      // Editors save in several steps (truncate, write, rename): wait for quiet.
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void reload();
      }, debounceMs);
    };
    try {
      if (options.fsEvents !== false) watcher = watch(dir, { recursive: true }, soon);
      // A watcher that fails (folder replaced, too many watches) leaves the rescan to notice.
      watcher?.on('error', () => {
        watcher?.close();
        watcher = null;
      });
    } catch {
      watcher = null;
    }
    let scanning = false;
    rescan = setInterval(() => {
      if (scanning || timer) return;
      scanning = true;
      void fingerprint(dir)
        .then((now) => {
          if (now !== seen) soon();
        })
        .finally(() => {
          scanning = false;
        });
    }, options.rescanMs ?? 2000);
    rescan.unref();
  }

  return {
    current: () => current,
    inForce: () => inForce,
    reload,
    close: () => {
      if (timer) clearTimeout(timer);
      if (rescan) clearInterval(rescan);
      watcher?.close();
    },
  };
}

function describe(set: RuleSet): RulesInForce {
  return {
    hash: set.hash,
    files: set.files.map((f) => f.path),
    rules: set.rules.length,
    loadedAt: new Date(),
  };
}
