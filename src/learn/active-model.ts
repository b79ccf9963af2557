/**
 * The spam model in force in this process: the learned model applied with `modbot train
 * --from-audit --apply`, or the shipped one. Loaded at start (decisions wait for that first
 * load) and checked again by `refresh()`: the runtime runs it every minute (a one-row query;
 * the weights are read only when the active model changed) and right after an apply or revert
 * made in this process. Each Node process checks on its own, so every process of a deployment
 * serves a newly applied or reverted model within a minute.
 *
 * A learned model trained by code with another feature version is not used: this process falls
 * back to the shipped model, logs it, and says so in `warnings()` (/readyz).
 */

import { FEATURE_VERSION } from '../classify/builtin/features.js';
import {
  builtinModel,
  LEARNED_MODEL_NAME,
  LinearModel,
  SHIPPED_MODEL_NAME,
  type SpamModelSource,
} from '../classify/builtin/index.js';
import type { Database } from '../db/client.js';
import { createLearnedModelsRepo } from '../db/repos/learned-models.js';
import type { Logger } from '../log.js';

export interface ActiveSpamModel extends SpamModelSource {
  /** Reads which model is in force and switches to it when it changed. */
  refresh(): Promise<void>;
  /** Why the learned model in force is not served (feature version, unreadable weights). */
  warnings(): string[];
  /** The learned model served, or null (the shipped one). */
  learned(): { readonly id: number; readonly version: string } | null;
}

export function createActiveSpamModel(db: Database, logger: Logger): ActiveSpamModel {
  const repo = createLearnedModelsRepo(db);
  const shipped = { model: builtinModel(), name: SHIPPED_MODEL_NAME };
  let current: { model: LinearModel; name: string } = shipped;
  let servedKey: string | null = null; // "<id>:<version>" of the row last looked at
  let learned: { id: number; version: string } | null = null;
  let warning: string | null = null;

  const refresh = async () => {
    const key = await repo.activeKey();
    const keyText = key ? `${key.id}:${key.version}` : null;
    if (keyText === servedKey) return;
    if (!key) {
      if (learned) logger.info('learned spam model reverted: the shipped model is in force', { ...learned });
      current = shipped;
      learned = null;
      warning = null;
      servedKey = null;
      return;
    }
    servedKey = keyText;
    if (key.featureVersion !== FEATURE_VERSION) {
      warning = `learned spam model #${key.id} (${key.version}) was trained on feature version ${key.featureVersion}, this code has ${FEATURE_VERSION}: the shipped model is used instead; train again (modbot train --from-audit --apply) or revert it (modbot train --revert)`;
      logger.warn('learned spam model not used: feature version differs', {
        id: key.id,
        version: key.version,
        featureVersion: key.featureVersion,
        codeFeatureVersion: FEATURE_VERSION,
      });
      current = shipped;
      learned = null;
      return;
    }
    const row = await repo.active();
    if (!row || row.id !== key.id) {
      servedKey = null; // changed again between the two reads: look again next time
      return;
    }
    try {
      current = { model: LinearModel.fromData(row.model), name: LEARNED_MODEL_NAME };
      learned = { id: row.id, version: row.version };
      warning = null;
      logger.info('learned spam model in force', {
        id: row.id,
        version: row.version,
        appliedBy: row.appliedBy,
      });
    } catch (error) {
      warning = `learned spam model #${row.id} (${row.version}) cannot be loaded (${error instanceof Error ? error.message : String(error)}): the shipped model is used instead`;
      logger.warn('learned spam model not used: cannot be loaded', { id: row.id, error: String(error) });
      current = shipped;
      learned = null;
    }
  };

  // Decisions wait for the first load; if the database is unreachable the shipped model serves
  // (and the next refresh tries again).
  const first = refresh().catch((error: unknown) => {
    logger.warn('learned spam model not loaded at start: the shipped model serves until the next check', {
      error: error instanceof Error ? error.message : String(error),
    });
  });

  return {
    ready: () => first,
    current: () => current,
    refresh: async () => {
      await first;
      await refresh();
    },
    warnings: () => (warning ? [warning] : []),
    learned: () => learned,
  };
}
