import { LOOPBACK_HOST } from '../system/free-port.js';

export interface PostgresSettings {
  readonly port: number;
  readonly socketDir: string;
  readonly fsync: boolean;
  /** Extra or overriding postgresql.conf entries. */
  readonly overrides: Readonly<Record<string, string>>;
}

/** postgresql.conf lines appended after initdb's defaults (later lines win). */
export function renderPostgresSettings({ port, socketDir, fsync, overrides }: PostgresSettings): string {
  const settings: Record<string, string> = {
    listen_addresses: LOOPBACK_HOST,
    port: String(port),
    unix_socket_directories: socketDir,
    max_connections: '200',
    shared_buffers: '256MB',
    fsync: fsync ? 'on' : 'off',
    ...overrides,
  };
  const lines = Object.entries(settings).map(([name, value]) => `${name} = '${value.replaceAll("'", "''")}'`);
  return `\n# Added by deploy/local/services/postgres-server.ts\n${lines.join('\n')}\n`;
}
