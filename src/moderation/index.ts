/**
 * The rule engine's public API (issue 3). Pure: runs on Node and Cloudflare Workers.
 *
 *   const loaded = loadRuleSet(files);                  // {ok, ruleSet} | {ok: false, errors}
 *   const decision = await evaluate(ruleSet, { event, text }, { classifiers, repetition });
 */

export type { RuleError } from './errors.js';
export {
  type ClassifierCall,
  type ConditionTrace,
  type Decision,
  type EvaluateOptions,
  evaluate,
  type FallbackApplied,
  type FinalAction,
  type ModerationInput,
  type PlannedStep,
  type RuleOutcome,
  repetitionKey,
} from './evaluate.js';
export { type ExampleResult, runRuleExamples } from './examples.js';
export { formatExplanation } from './explain.js';
export { type LoadResult, loadRuleSet } from './load.js';
export type { CompiledRule, RuleSet, SourceFile } from './model.js';
export {
  type Classifier,
  ClassifierError,
  type ClassifierResult,
  type ClassifierUsage,
  type ClassifyRequest,
  type EvaluatePorts,
  FixedRepetitionCounter,
  InMemoryRepetitionCounter,
  type RepetitionCounter,
  type RepetitionQuery,
} from './ports.js';
export { ruleFileJsonSchema } from './schema.js';
export { ruleSetHash, sha256Hex, textHash } from './text/hash.js';
export { NORMALISE_STEPS, normalise, normaliseDetailed, normaliseTrace } from './text/normalise.js';
