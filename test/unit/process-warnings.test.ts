import assert from 'node:assert/strict';
import { once } from 'node:events';
import { Writable } from 'node:stream';
import { it } from 'node:test';
import { pino } from 'pino';
import { logProcessWarnings } from '../../src/process/process-warnings.js';

it('logs a Node process warning as one JSON line at warn, in place of Node\'s stderr text', async () => {
  const lines: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      lines.push(chunk.toString());
      done();
    },
  });
  logProcessWarnings(pino({ base: null, timestamp: false }, sink));
  assert.equal(process.listenerCount('warning'), 1, "Node's own printer is gone");
  const emitted = once(process, 'warning');
  process.emitWarning('-5 is a negative number.', 'TimeoutNegativeWarning');
  await emitted;
  assert.deepEqual(lines.map((line) => JSON.parse(line) as unknown), [{ level: 40, warning: 'TimeoutNegativeWarning', msg: '-5 is a negative number.' }]);
});
