import assert from 'node:assert/strict';
import { it } from 'node:test';
import { describeRowRejection, isRowRejection } from '../../src/db/database-error.js';

function pgError(code: string, message: string): Error {
  return Object.assign(new Error(message), { code });
}

it('treats data, constraint and limit errors as the row\'s fault', () => {
  for (const code of ['22001', '22003', '22007', '22008', '22009', '22P02', '22P05', '22021', '23502', '23514', '54000']) assert.equal(isRowRejection(pgError(code, 'x')), true, code);
});

it('treats connection, resource, shutdown and unknown errors as transient, and a sequence at its limit too', () => {
  for (const error of [pgError('2200H', 'nextval: reached maximum value of sequence'), pgError('22012', 'division by zero'), pgError('23505', 'duplicate key'), pgError('08006', 'x'), pgError('53300', 'too many'), pgError('57P01', 'shutdown'), pgError('25006', 'read only'), pgError('ECONNREFUSED', 'refused'), pgError('EPIPE', 'broken pipe'), new Error('Connection terminated unexpectedly'), 'odd']) {
    assert.equal(isRowRejection(error), false, String(error));
  }
});

it('describes a rejection with its SQLSTATE and the database\'s message', () => {
  assert.equal(describeRowRejection(pgError('23514', 'new row violates check constraint "c"')), '23514: new row violates check constraint "c"');
});
