import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError } from 'openai';
import { ClassifierError } from '../../moderation/index.js';

/**
 * Map an openai SDK failure (after the SDK's own bounded retries) to the port's error codes, so a
 * rule's fallback (allow / review / hide) applies and the decision records why.
 */
export function toClassifierError(classifier: string, error: unknown): ClassifierError {
  if (error instanceof ClassifierError) return error;
  if (error instanceof APIConnectionTimeoutError || error instanceof APIUserAbortError) {
    return new ClassifierError(classifier, `${classifier}: OpenAI did not answer in time`, 'timeout', {
      cause: error,
    });
  }
  if (error instanceof APIConnectionError) {
    return new ClassifierError(
      classifier,
      `${classifier}: cannot reach OpenAI (check OPENAI_BASE_URL and the network)`,
      'unavailable',
      {
        cause: error,
      },
    );
  }
  if (error instanceof APIError) {
    const hint =
      error.status === 401
        ? ' (check OPENAI_API_KEY)'
        : error.status === 429
          ? ' (rate limited or out of quota)'
          : error.status === 404
            ? ' (check the model name)'
            : '';
    return new ClassifierError(
      classifier,
      `${classifier}: OpenAI answered ${error.status ?? 'an error'}${hint}: ${error.message}`,
      'unavailable',
      {
        cause: error,
      },
    );
  }
  const message = error instanceof Error ? error.message : String(error);
  return new ClassifierError(classifier, `${classifier}: ${message}`, 'invalid_response', { cause: error });
}
