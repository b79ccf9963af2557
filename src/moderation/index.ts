/**
 * The rule engine's public API (issue 3). Pure: runs on Node and Cloudflare Workers.
 *
 *   const loaded = loadRuleSet(files);                  // {ok, ruleSet} | {ok: false, errors}
 *   const decision = await evaluate(ruleSet, { event, text }, { classifiers, repetition });
 *
 * Inside: rules/ turns rule files into a compiled RuleSet (schema, parse, compile, load,
 * examples); text/ holds normalisation, text features, the term automaton and hashes; match/
 * and decide.ts judge one comment (decision.ts: the result types; explain.ts: it in words);
 * ports.ts is what the engine needs from outside (classifiers, a repetition counter, a clock).
 * Code outside src/moderation imports the engine from here, never from those files.
 */

export { evaluate, repetitionKey } from './decide.js';
export type {
  ClassifierCall,
  ConditionTrace,
  Decision,
  EvaluateOptions,
  FallbackApplied,
  FinalAction,
  ModerationInput,
  PlannedStep,
  RuleOutcome,
} from './decision.js';
export { formatContributions, formatExplanation } from './explain.js';
export {
  type Classifier,
  ClassifierError,
  type ClassifierResult,
  type ClassifierUsage,
  type ClassifyRequest,
  type EvaluatePorts,
  type FeatureContribution,
  FixedRepetitionCounter,
  InMemoryRepetitionCounter,
  type RepetitionCounter,
  type RepetitionQuery,
} from './ports.js';
export { parseDuration } from './rules/compile-conditions.js';
export { type RuleError, ruleError } from './rules/errors.js';
export { type ExampleResult, type RunExamplesOptions, runRuleExamples } from './rules/examples.js';
export { type LoadResult, loadRuleSet, loadRuleSetSliced } from './rules/load.js';
export { type CNode, type CompiledRule, isFloodRule, type RuleSet, type SourceFile } from './rules/model.js';
export { ruleFileJsonSchema } from './rules/schema.js';
export { ruleSetHash, sha256Hex, textHash } from './text/hash.js';
export { NORMALISE_STEPS, normalise, normaliseDetailed, normaliseTrace } from './text/normalise.js';
