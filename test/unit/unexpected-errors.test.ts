import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const policyModule = fileURLToPath(new URL('../../src/process/unexpected-errors.js', import.meta.url));
const loggerModule = fileURLToPath(new URL('../../src/logging/create-logger.js', import.meta.url));

/** Runs `trigger` in a process that has the policy, whose stop logs its reason and exits 1. */
function runWithPolicy(trigger: string): Promise<{ code: number | null; lines: Record<string, unknown>[]; output: string }> {
  const script = `
    import { stopOnUnexpectedErrors } from ${JSON.stringify(policyModule)};
    import { createLogger } from ${JSON.stringify(loggerModule)};
    const logger = createLogger('info');
    stopOnUnexpectedErrors(logger, (reason) => { logger.info({ reason }, 'stopping'); setImmediate(() => process.exit(1)); });
    ${trigger}
  `;
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--input-type=module', '-e', script], { stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('exit', (code) => {
      const lines = output.split('\n').filter((line) => line.startsWith('{')).map((line) => JSON.parse(line) as Record<string, unknown>);
      resolve({ code, lines, output });
    });
  });
}

describe('the policy for the unexpected', () => {
  it('logs an uncaught exception once as fatal with its error, then stops with a failure', async () => {
    const { code, lines, output } = await runWithPolicy(`setTimeout(() => { throw new Error('bug in a timer'); }, 0);`);
    assert.equal(code, 1, output);
    const fatal = lines.filter((line) => line.level === 'fatal');
    assert.equal(fatal.length, 1, output);
    assert.equal(fatal[0]?.origin, 'uncaught exception');
    assert.match(JSON.stringify(fatal[0]?.err), /bug in a timer/);
    assert.deepEqual(lines.filter((line) => line.msg === 'stopping').map((line) => line.reason), ['uncaught exception']);
    assert.ok(!output.includes('Node.js v'), 'Node did not print the error a second time');
  });

  it('treats an unhandled rejection the same way', async () => {
    const { code, lines, output } = await runWithPolicy(`Promise.reject(new Error('nobody awaited this'));`);
    assert.equal(code, 1, output);
    const fatal = lines.filter((line) => line.level === 'fatal');
    assert.equal(fatal.length, 1, output);
    assert.equal(fatal[0]?.origin, 'unhandled rejection');
    assert.match(JSON.stringify(fatal[0]?.err), /nobody awaited this/);
  });
});
