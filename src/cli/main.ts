#!/usr/bin/env node
/**
 * `modbot` command line. Each command group lives in its own module and registers itself here.
 */
import { Command } from 'commander';
import { registerDb } from './db.js';
import { registerRules } from './rules.js';
import { registerSimulate } from './simulate.js';

const program = new Command()
  .name('modbot')
  .description('Comment moderation for Instagram professional accounts')
  .showHelpAfterError()
  .enablePositionalOptions();

// Command modules register themselves below (one import per group).
registerDb(program);
registerSimulate(program);
(await import('./accounts.js')).registerAccounts(program);
(await import('./sweep.js')).registerSweep(program);
registerRules(program);
(await import('./eval.js')).registerEval(program);
(await import('./audit.js')).registerAudit(program);
(await import('./media.js')).registerMedia(program);
(await import('./inbox.js')).registerInbox(program);
(await import('./train.js')).registerTrain(program);

await program.parseAsync(process.argv);
