export * from './deliveries.js';
export * from './inbox.js';
export * from './decisions.js';
export * from './rule-sets.js';
export * from './classifier-cache.js';
export * from './accounts.js';
export * from './actions.js';
export * from './erasures.js';
