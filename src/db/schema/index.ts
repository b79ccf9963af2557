export * from './deliveries.js';
export * from './inbox.js';
