/**
 * The Graph API client for what moderation needs: the reads (./reads.ts) and writes (./writes.ts)
 * over one transport (./transport.ts: request building, token placement, appsecret_proof, usage
 * headers, error mapping, GraphResult). Every call resolves to a GraphResult, never throws for API
 * or network failures. Options: GraphClientOptions in ./transport.ts.
 */
import { createGraphReads, type GraphReads } from './reads.js';
import { createGraphTransport, type GraphClientOptions } from './transport.js';
import { createGraphWrites, type GraphWrites } from './writes.js';

export interface GraphClient extends GraphReads, GraphWrites {}

export function createGraphClient(options: GraphClientOptions = {}): GraphClient {
  const transport = createGraphTransport(options);
  const reads = createGraphReads(transport, {
    pageSize: options.pageSize ?? 50,
    maxPages: options.maxPages ?? 1000,
  });
  return { ...reads, ...createGraphWrites(transport, reads) };
}
