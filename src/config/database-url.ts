import { databaseSslModes, type DatabaseSslMode } from './config-schema.js';

/** Where and as whom to connect, as DATABASE_URL says it. */
export interface DatabaseUrlSettings {
  host: string;
  port: number;
  user: string;
  /** '' when the URL has none. */
  password: string;
  database: string;
  /** undefined when the URL does not say. */
  sslMode: DatabaseSslMode | undefined;
}

/** The query parameters libpq defines that this service honours; any other is refused, never ignored. */
export const databaseUrlQueryParameters = ['user', 'password', 'host', 'port', 'dbname', 'sslmode'] as const;
type QueryParameter = (typeof databaseUrlQueryParameters)[number];

const defaultPort = 5432;
const defaultUser = 'postgres';

/** A value given both in the URL's main part and in its query must agree. */
function pick(name: QueryParameter, fromUrl: string, query: URLSearchParams, problems: string[]): string {
  const fromQuery = query.get(name);
  if (fromQuery === null) return fromUrl;
  if (fromUrl !== '' && fromUrl !== fromQuery) problems.push(`the URL gives ${name} twice, differently (in the URL and as ?${name}=)`);
  return fromQuery;
}

/**
 * Takes DATABASE_URL apart the way libpq reads it: user, password, host, port and database from the
 * URL or its query string (`?user=&password=&host=&port=&dbname=&sslmode=`), percent-decoded. A query
 * parameter this service cannot honour, a value given twice differently, or a bad port or sslmode is
 * a problem, each described without any value (the URL holds secrets).
 */
export function parseDatabaseUrl(text: string): { settings: DatabaseUrlSettings; problems: string[] } {
  const url = new URL(text);
  const query = url.searchParams;
  const problems: string[] = [];
  for (const name of new Set(query.keys())) {
    if (!(databaseUrlQueryParameters as readonly string[]).includes(name)) {
      problems.push(`query parameter "${name}" is not supported (supported: ${databaseUrlQueryParameters.join(', ')})`);
    } else if (query.getAll(name).length > 1) {
      problems.push(`query parameter "${name}" is given more than once`);
    }
  }
  const host = pick('host', decodeURIComponent(url.hostname).replace(/^\[(.*)\]$/, '$1'), query, problems);
  const portText = pick('port', url.port, query, problems);
  const port = portText === '' ? defaultPort : Number(portText);
  if (!Number.isInteger(port) || port < 1 || port > 65_535) problems.push('port must be an integer from 1 to 65535');
  const sslModeText = query.get('sslmode');
  const sslMode = databaseSslModes.find((mode) => mode === sslModeText);
  if (sslModeText !== null && sslMode === undefined) problems.push(`sslmode must be one of ${databaseSslModes.join(', ')}`);
  const settings: DatabaseUrlSettings = {
    host,
    port,
    user: pick('user', decodeURIComponent(url.username), query, problems) || defaultUser,
    password: pick('password', decodeURIComponent(url.password), query, problems),
    database: pick('dbname', decodeURIComponent(url.pathname.slice(1)), query, problems),
    sslMode,
  };
  if (settings.database === '') problems.push('no database name: give it as the path (postgres://host/name) or ?dbname=');
  return { settings, problems };
}

/** DATABASE_URL with every credential in it replaced by `censor`: the user info's password and `?password=`. */
export function redactDatabaseUrl(text: string, censor: string): string {
  if (!URL.canParse(text)) return censor;
  const url = new URL(text);
  if (url.password !== '') url.password = censor;
  if (url.searchParams.has('password')) url.searchParams.set('password', censor);
  return url.toString();
}
