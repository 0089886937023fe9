import { finished } from 'node:stream/promises';
import type pg from 'pg';
import { from as copyFrom } from 'pg-copy-streams';
import type { TodoEventLogRow } from '../events/todo-event-log-row.js';
import { encodeEventLogRows, eventLogCopyColumns } from './copy-binary-encoding.js';

const copyStatement = `COPY todo_event_logs (${eventLogCopyColumns.join(', ')}) FROM STDIN (FORMAT binary)`;

/**
 * Writes the rows with one binary COPY on `client`, inside whatever transaction the caller has open, and
 * returns the rows COPY reports. The rows are encoded before COPY starts: a CopyEncodingError sends
 * nothing. A refusal by PostgreSQL rejects with pg's own DatabaseError (SQLSTATE on `code`: 22001, 23505,
 * …); the client then stays usable, in a failed transaction until the caller rolls back (to a savepoint).
 * Binary COPY does no ON CONFLICT: a row already stored fails the whole COPY with 23505.
 */
export async function copyEventLogs(client: pg.ClientBase, rows: readonly TodoEventLogRow[]): Promise<number> {
  if (rows.length === 0) return 0;
  const data = encodeEventLogRows(rows);
  const stream = client.query(copyFrom(copyStatement));
  stream.end(data);
  await finished(stream);
  return stream.rowCount;
}
