/**
 * The rule engine's public API (issue 3). Pure: runs on Node and Cloudflare Workers.
 *
 *   const loaded = loadRuleSet(files);                  // {ok, ruleSet} | {ok: false, errors}
 *   const decision = await evaluate(ruleSet, { event, text }, { classifiers, repetition });
 */
export { loadRuleSet, type LoadResult } from './load.js';
export {
  evaluate,
  type ClassifierCall,
  type ConditionTrace,
  type Decision,
  type EvaluateOptions,
  type FallbackApplied,
  type FinalAction,
  type ModerationInput,
  type PlannedStep,
  type RuleOutcome,
} from './evaluate.js';
export type { RuleError } from './errors.js';
export type { CompiledRule, RuleSet, SourceFile } from './model.js';
export {
  type EvaluatePorts,
  FixedRepetitionCounter,
  InMemoryRepetitionCounter,
  type RepetitionCounter,
  type RepetitionQuery,
} from './ports.js';
export { normalise, normaliseDetailed, normaliseTrace, NORMALISE_STEPS } from './normalise.js';
export { ruleSetHash, sha256Hex, textHash } from './hash.js';
export { ruleFileJsonSchema } from './schema.js';
export { runRuleExamples, type ExampleResult } from './examples.js';
export { formatExplanation } from './explain.js';
