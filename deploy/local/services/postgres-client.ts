import pg from 'pg';

/** True when the server accepts a connection on `url` and answers a query. */
export async function isPostgresReady(url: string): Promise<boolean> {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 2_000 });
  // An 'error' event after a failed connect must not become an uncaught exception.
  client.on('error', () => undefined);
  try {
    await client.connect();
    await client.query('select 1');
    return true;
  } catch {
    return false;
  } finally {
    await client.end().catch(() => undefined);
  }
}

/** Creates the database unless it already exists. */
export async function ensureDatabase(adminUrl: string, database: string): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const existing = await client.query('select 1 from pg_database where datname = $1', [database]);
    if (existing.rowCount === 0) await client.query(`create database ${client.escapeIdentifier(database)}`);
  } finally {
    await client.end();
  }
}

/** Creates a role that may log in with `password`, or sets the password of the existing one. */
export async function ensureLoginRole(adminUrl: string, role: { readonly name: string; readonly password: string }): Promise<void> {
  const client = new pg.Client({ connectionString: adminUrl });
  await client.connect();
  try {
    const existing = await client.query('select 1 from pg_roles where rolname = $1', [role.name]);
    const verb = existing.rowCount === 0 ? 'create' : 'alter';
    await client.query(`${verb} role ${client.escapeIdentifier(role.name)} login password ${client.escapeLiteral(role.password)}`);
  } finally {
    await client.end();
  }
}
