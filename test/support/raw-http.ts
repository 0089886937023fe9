import { createConnection } from 'node:net';
import { LOOPBACK_HOST } from '../../deploy/local/system/free-port.js';

/**
 * Sends `bytes` as they are (no HTTP client would send most of them) and resolves with the status line
 * of the answer, or '' when the server closed the connection without one.
 */
export function rawRequest(port: number, bytes: string): Promise<string> {
  return new Promise((resolve, reject) => {
    const socket = createConnection({ host: LOOPBACK_HOST, port });
    let answer = '';
    socket.setTimeout(5_000, () => socket.destroy(new Error(`no answer to ${JSON.stringify(bytes)} within 5 s`)));
    socket.on('data', (chunk: Buffer) => (answer += chunk.toString('latin1')));
    socket.on('error', reject);
    socket.on('close', () => resolve(answer.split('\r\n')[0] ?? ''));
    socket.end(bytes);
  });
}

/** Requests no router expects: a target that is not a URL path, bytes that are not HTTP, unknown methods. */
export const hostileRequests: readonly { bytes: string; status: string }[] = [
  { bytes: 'GET //[ HTTP/1.1\r\nHost: x\r\n\r\n', status: 'HTTP/1.1 400 Bad Request' },
  { bytes: 'GET * HTTP/1.1\r\nHost: x\r\n\r\n', status: 'HTTP/1.1 400 Bad Request' },
  { bytes: 'GET http://[::1 HTTP/1.1\r\nHost: x\r\n\r\n', status: 'HTTP/1.1 400 Bad Request' },
  { bytes: 'GET /%zz%00?%%% HTTP/1.1\r\nHost: x\r\n\r\n', status: 'HTTP/1.1 404 Not Found' },
  { bytes: 'GET /no-such-path HTTP/1.1\r\nHost: x\r\n\r\n', status: 'HTTP/1.1 404 Not Found' },
  { bytes: 'DELETE /livez HTTP/1.1\r\nHost: x\r\n\r\n', status: 'HTTP/1.1 405 Method Not Allowed' },
  { bytes: 'BREW /livez HTTP/1.1\r\nHost: x\r\n\r\n', status: 'HTTP/1.1 400 Bad Request' },
  { bytes: '\u0000\u0001\u0002 garbage \u00ff\r\n\r\n', status: 'HTTP/1.1 400 Bad Request' },
  { bytes: 'GET /livez HTTP/1.1\r\nHost: x\r\nContent-Length: nope\r\n\r\n', status: 'HTTP/1.1 400 Bad Request' },
];
