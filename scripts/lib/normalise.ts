/**
 * The normaliser used by training and evaluation: the very one the rules use, so the model sees
 * at training time exactly what it sees live (issue 4: "on the same normalised text the rules use").
 */
export { normalise } from '../../src/moderation/index.js';
