/**
 * What the console needs, wired by the composition root (src/runtime/console.ts). The console is
 * transport only: the audit service for everything on the record (the same functions as the CLI
 * and /api), and a few read models of its own. The optional members are extension points that
 * light up a section of a page when the runtime provides them.
 */
import type { AuditService } from '../../audit/service.js';
import type { ConsoleAuthConfig } from './session.js';

export interface ScoreBucket {
  readonly series: string;
  readonly bucket: number;
  readonly count: number;
}

export interface QueueHealth {
  readonly accountId: string;
  readonly backlog: number;
  readonly deadEvents: number;
  readonly pendingActions: number;
  readonly failedActions: number;
  readonly lastReceivedAt: string | null;
}

export interface DeadLetter {
  readonly id: number;
  readonly accountId: string;
  readonly kind: string;
  readonly commentId: string | null;
  readonly attempts: number;
  readonly lastError: string | null;
  readonly updatedAt: string;
}

export interface ConsoleAccount {
  readonly id: string;
  readonly username: string | null;
  readonly loginType: string;
  readonly hasToken: boolean;
  readonly tokenExpiresAt: Date | null;
  readonly status: string;
  readonly statusReason: string | null;
  readonly pausedUntil: Date | null;
  readonly source: string;
}

export interface RuleInForce {
  readonly id: string;
  readonly file: string;
  readonly line: number;
  readonly mode: string;
  readonly priority: number;
  readonly actions: readonly string[];
  readonly reason: string | null;
}

export interface RulesInForce {
  readonly hash: string;
  readonly files: readonly string[];
  readonly rules: readonly RuleInForce[];
}

export interface TryTextInput {
  readonly text: string;
  readonly author: string;
  readonly kind: 'comment' | 'reply' | 'live_comment' | 'mention_comment';
  readonly accountId: string;
}

export interface TryTextResult {
  /** allow, hide, delete, review, reply… */
  readonly action: string;
  readonly decidingRule: string | null;
  /** The explain view (`modbot rules explain`), as text. */
  readonly explanation: string;
}

export interface BacktestInput {
  readonly files: readonly { readonly path: string; readonly content: string }[];
  /** A relative time (7d) or a date, already checked. */
  readonly since: string;
  readonly account?: string | undefined;
  readonly moderator: string;
}

export interface ConsoleDeps {
  readonly audit: AuditService;
  readonly auth: ConsoleAuthConfig;
  readonly dryRun: boolean;
  readonly reads: {
    scoreHistogram(since: Date): Promise<ScoreBucket[]>;
    queueHealth(accountIds: readonly string[]): Promise<QueueHealth[]>;
    deadLetters(limit: number): Promise<DeadLetter[]>;
  };
  readonly accounts: () => Promise<readonly ConsoleAccount[]>;
  readonly rules: {
    inForce(): RulesInForce;
    /** Errors of the last refused change to the rule files (the set in force stays); empty when none. */
    loadErrors(): readonly string[];
    tryText(input: TryTextInput): Promise<TryTextResult>;
  };

  // ---- Extension points: each section appears when its member is provided. ----

  /** Put a dead-lettered event back in the inbox (`modbot inbox retry`); answers a sentence for people. */
  readonly retryDeadLetter?: (inboxId: number, moderator: string) => Promise<string>;
  /** Lock or unlock moderation of one media (the media lock work). */
  readonly mediaLock?: {
    list(): Promise<readonly { accountId: string; mediaId: string; lockedBy: string; lockedAt: string }[]>;
    lock(input: { accountId: string; mediaId: string; moderator: string }): Promise<string>;
    unlock(input: { accountId: string; mediaId: string; moderator: string }): Promise<string>;
  };
  /**
   * Backtest a changed rule file: the rules in force with `files` in place of the files of the
   * same name, over the decisions since `since` (`modbot rules backtest`); answers the report as
   * text to show as is (or the file's errors).
   */
  readonly backtest?: (input: BacktestInput) => Promise<string>;
}
