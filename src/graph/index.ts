export * from './client.js';
export * from './errors.js';
export * from './pacing.js';
export type { GraphPage } from './paging.js';
export * from './reads.js';
export {
  appSecretProof,
  type CallOptions,
  createGraphTransport,
  describeRequest,
  type GraphAccount,
  type GraphClientOptions,
  type GraphFetch,
  type GraphRequest,
  type GraphRequestInit,
  type GraphResponse,
  type GraphResult,
  type GraphTransport,
  type LoginType,
  type Parse,
} from './transport.js';
export * from './usage.js';
export * from './writes.js';
