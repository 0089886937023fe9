#!/usr/bin/env node
import { parseCliArguments, usage, UsageError, type CliCommand } from './cli-arguments.js';
import { consumeCommand } from './commands/consume-command.js';
import { dlqCommand } from './commands/dlq-command.js';
import { exitCodes } from './commands/exit-codes.js';
import { logsCommand } from './commands/logs-command.js';
import { migrateCommand } from './commands/migrate-command.js';
import { offsetsCommand } from './commands/offsets-command.js';
import { scalerCommand } from './commands/scaler-command.js';
import { ConfigError } from './config/config-error.js';
import { loadConfig, type Environment } from './config/load-config.js';
import { loadScalerConfig } from './config/scaler-config-schema.js';
import { createLogger } from './logging/create-logger.js';
import { stopOnUnexpectedErrors } from './process/unexpected-errors.js';

function parseCommand(args: string[]): CliCommand | number {
  try {
    return parseCliArguments(args);
  } catch (error) {
    // parseArgs throws TypeErrors with a code for unknown options; both are the caller's slip.
    const isUsage = error instanceof UsageError || (error instanceof TypeError && 'code' in error);
    if (!isUsage) throw error;
    process.stderr.write(`todo-history: ${error.message}\n\n${usage}\n`);
    return exitCodes.usage;
  }
}

/** The command's configuration, or undefined after logging every problem with it. */
function loadOrReport<T>(load: (env: Environment) => T): T | undefined {
  try {
    return load(process.env);
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    createLogger('info').fatal({ problems: error.problems }, error.message);
    return undefined;
  }
}

async function main(args: string[]): Promise<number> {
  const command = parseCommand(args);
  if (typeof command === 'number') return command;
  if (command.name === 'help') {
    process.stdout.write(`${usage}\n`);
    return exitCodes.ok;
  }
  if (command.name === 'scaler') {
    const config = loadOrReport(loadScalerConfig);
    return config === undefined ? exitCodes.config : scalerCommand(config, createLogger(config.log.level));
  }
  const config = loadOrReport(loadConfig);
  if (config === undefined) return exitCodes.config;
  const logger = createLogger(config.log.level);
  switch (command.name) {
    case 'consume':
      return consumeCommand(config, logger);
    case 'migrate':
      stopOnUnexpectedErrors(logger, () => process.exit(exitCodes.failure));
      return migrateCommand(command.action, config, logger);
    case 'logs':
      stopOnUnexpectedErrors(logger, () => process.exit(exitCodes.failure));
      return logsCommand(command.query, command.options, config, logger);
    case 'dlq':
      stopOnUnexpectedErrors(logger, () => process.exit(exitCodes.failure));
      return dlqCommand(command.request, config, logger);
    case 'offsets':
      stopOnUnexpectedErrors(logger, () => process.exit(exitCodes.failure));
      return offsetsCommand(command.request, config, logger);
  }
}

// Exit explicitly: a stopped kafkajs client can leave timers behind that would keep the process alive.
process.exit(await main(process.argv.slice(2)));
