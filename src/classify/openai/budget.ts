/**
 * A daily call and spend budget for paid classifier calls (openai-policy). Calls reserve their
 * estimated cost before they are made, so concurrent comments cannot overshoot the limit, and
 * settle the real cost afterwards. When spent, the classifier throws ClassifierError
 * `budget_exhausted` and the asking rule's fallback (allow / review / hide) applies until the
 * next UTC day. Runtime-neutral. The in-memory budget is per process; several instances that
 * must share one budget need a shared store behind the same interface.
 */
export interface ClassifierBudget {
  /** Reserve one call costing about `estimatedUsd`; false when the day's budget is spent. */
  tryReserve(estimatedUsd: number): Promise<boolean>;
  /** Replace the reservation's estimate with the actual cost (0 if the call failed before billing). */
  settle(estimatedUsd: number, actualUsd: number): Promise<void>;
}

export interface DailyBudgetOptions {
  readonly maxCallsPerDay: number;
  readonly maxUsdPerDay: number;
  readonly now?: () => number;
}

export interface BudgetUsage {
  readonly day: string;
  readonly calls: number;
  readonly usd: number;
}

export class DailyBudget implements ClassifierBudget {
  private day = '';
  private calls = 0;
  private usd = 0;
  private readonly now: () => number;

  constructor(private readonly options: DailyBudgetOptions) {
    this.now = options.now ?? Date.now;
  }

  private roll(): void {
    const today = new Date(this.now()).toISOString().slice(0, 10);
    if (today !== this.day) {
      this.day = today;
      this.calls = 0;
      this.usd = 0;
    }
  }

  async tryReserve(estimatedUsd: number): Promise<boolean> {
    this.roll();
    if (this.calls + 1 > this.options.maxCallsPerDay) return false;
    if (this.usd + estimatedUsd > this.options.maxUsdPerDay) return false;
    this.calls++;
    this.usd += estimatedUsd;
    return true;
  }

  async settle(estimatedUsd: number, actualUsd: number): Promise<void> {
    this.roll();
    this.usd = Math.max(0, this.usd - estimatedUsd + actualUsd);
  }

  usage(): BudgetUsage {
    this.roll();
    return { day: this.day, calls: this.calls, usd: this.usd };
  }
}
