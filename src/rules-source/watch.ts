/**
 * Hot reload of rule files on Node (issue 3, Must 8): a change is read, validated and swapped in
 * atomically; a rule set with any error never takes effect, the last good one stays in force and
 * the errors are reported. Workers bundle the rule files at build time instead (loadRuleSet on
 * the bundled contents).
 */
import { type FSWatcher, watch } from 'node:fs';
import { loadRuleSet, type RuleError, type RuleSet, type SourceFile } from '../moderation/index.js';
import { readRuleFiles } from './files.js';

export interface RuleSourceEvents {
  /** A new rule set is in force. */
  onLoaded?(ruleSet: RuleSet, previous: RuleSet | null): void;
  /** A change was refused; `current` (the last good set) stays in force. */
  onRejected?(errors: readonly RuleError[], current: RuleSet | null): void;
}

export interface RuleSource {
  /** The rule set in force. Swapped atomically: a caller holds one consistent set per comment. */
  current(): RuleSet;
  /** Re-reads the directory now; resolves to whether the new set was accepted. */
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

/** Loads `dir` once (throws RuleLoadError when the first load fails), then watches it. */
export async function watchRules(
  dir: string,
  events: RuleSourceEvents = {},
  options: { debounceMs?: number; watch?: boolean } = {},
): Promise<RuleSource> {
  const first = loadRuleSet(await readRuleFiles(dir));
  if (!first.ok) throw new RuleLoadError(first.errors);
  let current: RuleSet = first.ruleSet;
  events.onLoaded?.(current, null);

  let chain: Promise<boolean> = Promise.resolve(true);
  const reload = (): Promise<boolean> => {
    // Serialise reloads so an older read never overwrites a newer one.
    chain = chain.then(async () => {
      let files: SourceFile[];
      try {
        files = await readRuleFiles(dir);
      } catch (e) {
        events.onRejected?.(
          [
            {
              file: dir,
              line: 0,
              column: 0,
              ruleId: null,
              message: `cannot read rules: ${(e as Error).message}`,
              suggestion: null,
              format: () => `${dir}: cannot read rules: ${(e as Error).message}`,
            },
          ],
          current,
        );
        return false;
      }
      const loaded = loadRuleSet(files);
      if (!loaded.ok) {
        events.onRejected?.(loaded.errors, current);
        return false;
      }
      if (loaded.ruleSet.hash === current.hash) return true;
      const previous = current;
      current = loaded.ruleSet;
      events.onLoaded?.(current, previous);
      return true;
    });
    return chain;
  };

  let watcher: FSWatcher | null = null;
  let timer: ReturnType<typeof setTimeout> | null = null;
  if (options.watch !== false) {
    const debounceMs = options.debounceMs ?? 200;
    watcher = watch(dir, { recursive: true }, () => {
      // Editors save in several steps (truncate, write, rename): wait for quiet.
      if (timer) clearTimeout(timer);
      timer = setTimeout(() => {
        timer = null;
        void reload();
      }, debounceMs);
    });
    watcher.on('error', (e) =>
      events.onRejected?.(
        [
          {
            file: dir,
            line: 0,
            column: 0,
            ruleId: null,
            message: `watch failed: ${e.message}`,
            suggestion: null,
            format: () => `${dir}: watch failed: ${e.message}`,
          },
        ],
        current,
      ),
    );
  }

  return {
    current: () => current,
    reload,
    close: () => {
      if (timer) clearTimeout(timer);
      watcher?.close();
    },
  };
}
