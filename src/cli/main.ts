#!/usr/bin/env node
/**
 * `modbot` command line. Each command group lives in its own module and registers itself here.
 */
import { Command } from 'commander';

const program = new Command()
  .name('modbot')
  .description('Comment moderation for Instagram professional accounts')
  .showHelpAfterError()
  .enablePositionalOptions();

// Command modules register themselves below (one import per group).

await program.parseAsync(process.argv);
