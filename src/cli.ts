#!/usr/bin/env node
import { parseCliArguments, usage, UsageError, type CliCommand } from './cli-arguments.js';
import { exitCodes } from './commands/exit-codes.js';
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

/**
 * Each command's module is loaded only when that command runs: the scaler's Kubernetes client alone
 * costs the consumer ~60 MB of resident memory and a second of start-up, for code it never calls.
 */
async function main(args: string[]): Promise<number> {
  const command = parseCommand(args);
  if (typeof command === 'number') return command;
  if (command.name === 'help') {
    process.stdout.write(`${usage}\n`);
    return exitCodes.ok;
  }
  if (command.name === 'scaler') {
    const config = loadOrReport(loadScalerConfig);
    if (config === undefined) return exitCodes.config;
    const { scalerCommand } = await import('./commands/scaler-command.js');
    return scalerCommand(config, createLogger(config.log.level));
  }
  const config = loadOrReport(loadConfig);
  if (config === undefined) return exitCodes.config;
  const logger = createLogger(config.log.level);
  switch (command.name) {
    case 'consume':
      return (await import('./commands/consume-command.js')).consumeCommand(config, logger);
    case 'migrate':
      stopOnUnexpectedErrors(logger, () => process.exit(exitCodes.failure));
      return (await import('./commands/migrate-command.js')).migrateCommand(command.action, config, logger);
    case 'logs':
      stopOnUnexpectedErrors(logger, () => process.exit(exitCodes.failure));
      return (await import('./commands/logs-command.js')).logsCommand(command.query, command.options, config, logger);
    case 'dlq':
      stopOnUnexpectedErrors(logger, () => process.exit(exitCodes.failure));
      return (await import('./commands/dlq-command.js')).dlqCommand(command.request, config, logger);
    case 'offsets':
      stopOnUnexpectedErrors(logger, () => process.exit(exitCodes.failure));
      return (await import('./commands/offsets-command.js')).offsetsCommand(command.request, config, logger);
    case 'topic':
      stopOnUnexpectedErrors(logger, () => process.exit(exitCodes.failure));
      return (await import('./commands/topic-command.js')).topicCheckCommand(command.request, config, logger);
  }
}

// Exit explicitly: a stopped kafkajs client can leave timers behind that would keep the process alive.
process.exit(await main(process.argv.slice(2)));
