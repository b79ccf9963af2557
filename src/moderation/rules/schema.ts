/**
 * The rule-file format (issue 3): one zod schema, used by the loader to validate and by
 * `modbot rules schema` to generate rules/schema.json for editors. Keys read like plain English
 * in the spirit of Reddit AutoModerator. Pure: no I/O.
 */
import { z } from 'zod';

/**
 * `lock_comments` turns comments off on the comment's media for `for:` and back on afterwards
 * (a lockdown against a flood); it goes with one of the others or stands alone.
 */
export const ACTIONS = ['hide', 'delete', 'reply', 'review', 'allow', 'lock_comments'] as const;
export type RuleAction = (typeof ACTIONS)[number];

export const FALLBACKS = ['allow', 'review', 'hide'] as const;
export type Fallback = (typeof FALLBACKS)[number];

export const KINDS = [
  'comment',
  'reply',
  'live_comment',
  'mention',
  'mention_comment',
  'mention_caption',
] as const;
export type KindName = (typeof KINDS)[number];

export const MEDIA_TYPES = ['FEED', 'REELS', 'STORY', 'AD'] as const;

/** Classifiers a rule may name; adapters for them are configured outside the rule files. */
export const CLASSIFIER_NAMES = ['builtin', 'openai-moderation', 'openai-policy'] as const;

const ListRef = z
  .strictObject({ list: z.string().min(1).describe('The name of a list defined under `lists:`') })
  .describe('A named list, defined once under `lists:` in any rule file');

/** Words or phrases: one string, a list of strings and list references, or a list reference. */
const Terms = z
  .union([z.string().min(1), z.array(z.union([z.string().min(1), ListRef])).min(1), ListRef])
  .describe('A word or phrase, a list of them, or {list: name}');

const Count = z.number().int().min(0);
const Share = z.number().min(0).max(1).describe('A share between 0 and 1, e.g. 0.5 for half');

const Duration = z
  .string()
  .regex(/^\s*\d+\s*(s|sec|secs|seconds?|m|min|mins|minutes?|h|hours?|d|days?)\s*$/i, {
    message: 'expected a duration such as "30s", "10m", "2h" or "1d"',
  });

const Repetition = z
  .strictObject({
    times: z.number().int().min(2).describe('How many times the same text was seen, this comment included'),
    within: Duration.describe('A time window such as "30s", "10m", "2h" or "1d" (at most 30 days)'),
  })
  .describe('The same normalised text seen this many times within the window');

const ClassifierCondition = z
  .strictObject({
    use: z
      .enum(CLASSIFIER_NAMES)
      .describe('Which classifier: builtin (offline), openai-moderation or openai-policy'),
    score: z
      .string()
      .min(1)
      .optional()
      .describe(
        'The score category, e.g. scam, spam, harassment; "yes" for policy questions (the default there)',
      ),
    'at least': Share.describe('The rule matches when the score is at least this value'),
    question: z
      .string()
      .min(5)
      .optional()
      .describe('For openai-policy: the yes/no question asked about the comment'),
    fallback: z
      .enum(FALLBACKS)
      .describe(
        'What happens when the classifier fails: allow (condition false), review or hide (the rule fires with this action)',
      ),
  })
  .describe('A classifier score; asked only after the rule\u2019s cheaper conditions matched');

export interface ConditionInput {
  'text contains any'?: z.infer<typeof Terms> | undefined;
  'text contains all'?: z.infer<typeof Terms> | undefined;
  'text contains any (substring)'?: z.infer<typeof Terms> | undefined;
  'text contains all (substring)'?: z.infer<typeof Terms> | undefined;
  'text starts with'?: z.infer<typeof Terms> | undefined;
  'text ends with'?: z.infer<typeof Terms> | undefined;
  'text is'?: z.infer<typeof Terms> | undefined;
  'text matches'?: string | string[] | undefined;
  'has link'?: boolean | undefined;
  'links at least'?: number | undefined;
  'link domain in'?: z.infer<typeof Terms> | undefined;
  'link domain not in'?: z.infer<typeof Terms> | undefined;
  'has shortened link'?: boolean | undefined;
  'mentions at least'?: number | undefined;
  'mentions at most'?: number | undefined;
  'mentions any'?: z.infer<typeof Terms> | undefined;
  'hashtags at least'?: number | undefined;
  'hashtags at most'?: number | undefined;
  'hashtags any'?: z.infer<typeof Terms> | undefined;
  'emoji at least'?: number | undefined;
  'emoji at most'?: number | undefined;
  'emoji share at least'?: number | undefined;
  'length at least'?: number | undefined;
  'length at most'?: number | undefined;
  'capitals share at least'?: number | undefined;
  'repeated by author'?: z.infer<typeof Repetition> | undefined;
  'repeated across account'?: z.infer<typeof Repetition> | undefined;
  'author is'?: z.infer<typeof Terms> | undefined;
  'author is not'?: z.infer<typeof Terms> | undefined;
  'media is'?: z.infer<typeof Terms> | undefined;
  'media type is'?: (typeof MEDIA_TYPES)[number] | Array<(typeof MEDIA_TYPES)[number]> | undefined;
  'is live'?: boolean | undefined;
  'kind is'?: KindName | KindName[] | undefined;
  classifier?: z.infer<typeof ClassifierCondition> | undefined;
  any?: ConditionInput[] | undefined;
  all?: ConditionInput[] | undefined;
  not?: ConditionInput | undefined;
}

const RegexList = z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]);

export const Condition: z.ZodType<ConditionInput> = z
  .strictObject({
    'text contains any': Terms.optional().describe('Any of these words or phrases, as whole words'),
    'text contains all': Terms.optional().describe('All of these words or phrases, as whole words'),
    'text contains any (substring)': Terms.optional().describe('Any of these, anywhere, even inside a word'),
    'text contains all (substring)': Terms.optional().describe('All of these, anywhere, even inside words'),
    'text starts with': Terms.optional().describe('The text starts with any of these'),
    'text ends with': Terms.optional().describe('The text ends with any of these'),
    'text is': Terms.optional().describe('The whole text is exactly one of these'),
    'text matches': RegexList.optional().describe(
      'A regular expression (or a list: any matches), case-insensitive; catastrophic patterns are refused',
    ),
    'has link': z.boolean().optional().describe('true: the text has a link; false: it has none'),
    'links at least': Count.optional().describe('At least this many links'),
    'link domain in': Terms.optional().describe('A link to one of these domains (or their subdomains)'),
    'link domain not in': Terms.optional().describe('A link to a domain NOT in this allow list'),
    'has shortened link': z
      .boolean()
      .optional()
      .describe('A link through a URL shortener (bit.ly, tinyurl.com, ...)'),
    'mentions at least': Count.optional().describe('At least this many @mentions'),
    'mentions at most': Count.optional().describe('At most this many @mentions'),
    'mentions any': Terms.optional().describe('Mentions any of these handles'),
    'hashtags at least': Count.optional().describe('At least this many #hashtags'),
    'hashtags at most': Count.optional().describe('At most this many #hashtags'),
    'hashtags any': Terms.optional().describe('Uses any of these hashtags'),
    'emoji at least': Count.optional().describe('At least this many emoji'),
    'emoji at most': Count.optional().describe('At most this many emoji'),
    'emoji share at least': Share.optional().describe(
      'Emoji make up at least this share of the visible characters',
    ),
    'length at least': Count.optional().describe('At least this many characters'),
    'length at most': Count.optional().describe('At most this many characters'),
    'capitals share at least': Share.optional().describe(
      'Capital letters make up at least this share of the letters (texts with fewer than 5 letters never match)',
    ),
    'repeated by author': Repetition.optional().describe(
      'This author posted the same text this many times within the window',
    ),
    'repeated across account': Repetition.optional().describe(
      'Anyone posted the same text on this account this many times within the window',
    ),
    'author is': Terms.optional().describe('The author\u2019s username (or id) is one of these'),
    'author is not': Terms.optional().describe('The author\u2019s username (or id) is none of these'),
    'media is': Terms.optional().describe('The comment is on one of these media ids'),
    'media type is': z
      .union([z.enum(MEDIA_TYPES), z.array(z.enum(MEDIA_TYPES)).min(1)])
      .optional()
      .describe('FEED, REELS, STORY or AD'),
    'is live': z.boolean().optional().describe('A comment on a live broadcast'),
    'kind is': z
      .union([z.enum(KINDS), z.array(z.enum(KINDS)).min(1)])
      .optional()
      .describe('comment, reply, live_comment, mention (either kind), mention_comment or mention_caption'),
    classifier: ClassifierCondition.optional(),
    get any() {
      return z.array(Condition).min(1).optional().describe('Any of these groups of conditions');
    },
    get all() {
      return z.array(Condition).min(1).optional().describe('All of these groups of conditions');
    },
    get not() {
      return Condition.optional().describe('None of these conditions (all of them must not hold together)');
    },
  })
  .describe('Conditions; all of them must hold');

const ExampleObject = z.strictObject({
  text: z.string(),
  author: z.string().optional().describe('The author\u2019s username'),
  kind: z.enum(KINDS).optional(),
  'media type': z.enum(MEDIA_TYPES).optional(),
  'decided by': z
    .string()
    .optional()
    .describe('The rule expected to decide this example (default: this rule)'),
  repeats: z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Pretend the same text was already seen this many times'),
  'author repeats': z
    .number()
    .int()
    .min(0)
    .optional()
    .describe('Pretend this author already posted it this many times (default: repeats)'),
  scores: z
    .record(z.string(), z.number().min(0).max(1))
    .optional()
    .describe('Classifier scores to pretend, e.g. {scam: 0.97}'),
});
const Example = z.union([z.string(), ExampleObject]).describe('A comment text, or {text, author, kind, ...}');
export type ExampleInput = z.infer<typeof Example>;

export const Rule = z
  .strictObject({
    id: z
      .string()
      .regex(/^[a-z0-9][a-z0-9-]*$/, {
        message: 'use lower-case letters, digits and dashes, e.g. "link-spam"',
      })
      .describe('A unique id in lower-case-with-dashes'),
    reason: z.string().optional().describe('Why the rule exists; recorded with every decision'),
    when: Condition,
    action: z
      .union([z.enum(ACTIONS), z.array(z.enum(ACTIONS)).min(1).max(3)])
      .describe(
        'hide, delete, reply, review, allow or lock_comments; or [reply, hide] / [reply, review]; lock_comments can be added to hide, delete, review or reply',
      ),
    for: Duration.optional().describe(
      'With lock_comments: how long comments stay off on the media, e.g. "2h" (1 minute to 7 days); then they are turned back on',
    ),
    reply: z
      .string()
      .min(1)
      .optional()
      .describe('The reply text when the action includes reply; placeholders {{author}} and {{matched}}'),
    priority: z
      .number()
      .int()
      .optional()
      .describe('Higher wins (default 0); equal priority: the most severe action wins'),
    mode: z
      .enum(['enforce', 'shadow'])
      .optional()
      .describe('shadow: decide and record, never act (default enforce)'),
    normalise: z
      .boolean()
      .optional()
      .describe('false: match the raw text (only case and invisible characters ignored); default true'),
    examples: z
      .strictObject({
        match: z.array(Example).optional().describe('Comments this rule must catch (and decide)'),
        'no match': z.array(Example).optional().describe('Comments this rule must not catch'),
      })
      .optional(),
  })
  .describe('A moderation rule');
export type RuleInput = z.infer<typeof Rule>;

const Lists = z
  .record(
    z.string().regex(/^[a-z0-9][a-z0-9-]*$/, { message: 'use lower-case letters, digits and dashes' }),
    z.array(z.string().min(1)).min(1),
  )
  .describe('Named lists of words, phrases, handles or domains, reusable by every rule as {list: name}');

export const RuleFileObject = z.strictObject({
  accounts: z
    .array(z.string().min(1))
    .min(1)
    .optional()
    .describe('Instagram account ids these rules apply to (default: every account)'),
  lists: Lists.optional(),
  rules: z.array(Rule).optional(),
});

export const RuleFile = z
  .union([z.array(Rule), RuleFileObject])
  .describe('A modbot rule file: a list of rules, or {accounts, lists, rules}');

/** Every condition key, for suggestions and docs. */
export const CONDITION_KEYS: readonly string[] = [
  'text contains any',
  'text contains all',
  'text contains any (substring)',
  'text contains all (substring)',
  'text starts with',
  'text ends with',
  'text is',
  'text matches',
  'has link',
  'links at least',
  'link domain in',
  'link domain not in',
  'has shortened link',
  'mentions at least',
  'mentions at most',
  'mentions any',
  'hashtags at least',
  'hashtags at most',
  'hashtags any',
  'emoji at least',
  'emoji at most',
  'emoji share at least',
  'length at least',
  'length at most',
  'capitals share at least',
  'repeated by author',
  'repeated across account',
  'author is',
  'author is not',
  'media is',
  'media type is',
  'is live',
  'kind is',
  'classifier',
  'any',
  'all',
  'not',
];

/** The JSON Schema editors use (committed as rules/schema.json). */
export function ruleFileJsonSchema(): Record<string, unknown> {
  const schema = z.toJSONSchema(RuleFile, { target: 'draft-2020-12', io: 'input' }) as Record<
    string,
    unknown
  >;
  return {
    $schema: schema.$schema,
    title: 'modbot rule file',
    ...schema,
  };
}
