/** The real TimescaleDB server `npm test` started beside the plain one; undefined when its source is absent. */
export function realTimescaledbUrl(): string | undefined {
  const url = process.env.TEST_TIMESCALEDB_URL;
  return url === undefined || url === '' ? undefined : url;
}

/** Why a test that needs the real server (connections in parallel, background workers) is skipped without it. */
export const withoutRealTimescaledb = 'no real TimescaleDB server: its source is not beside the repository (npm test says so at the start)';
