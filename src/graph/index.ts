export * from './client.js';
export * from './errors.js';
export * from './pacing.js';
export * from './usage.js';
