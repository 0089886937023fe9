import https from 'node:https';

export interface KubeEndpoint {
  /** https URL of the API server. */
  server: string;
  /** PEM bundle trusted for the server certificate. */
  ca: string;
}

export interface KubeResponse {
  status: number;
  text: string;
  /** Parsed JSON body, or undefined when the body is not JSON. */
  body: unknown;
}

export interface KubeRequest {
  method?: string;
  path: string;
  token?: string;
  body?: unknown;
  /** Defaults to application/json; e.g. application/merge-patch+json for PATCH. */
  contentType?: string;
  timeoutMs?: number;
}

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

/**
 * Minimal Kubernetes REST call. Uses node:https rather than fetch because Node's built-in
 * fetch cannot be given a custom CA without the undici package.
 */
export function kubeRequest(endpoint: KubeEndpoint, request: KubeRequest): Promise<KubeResponse> {
  const url = new URL(request.path, endpoint.server);
  const payload = request.body === undefined ? undefined : JSON.stringify(request.body);
  const headers: Record<string, string> = { Accept: 'application/json' };
  if (request.token !== undefined) headers['Authorization'] = `Bearer ${request.token}`;
  if (payload !== undefined) {
    headers['Content-Type'] = request.contentType ?? 'application/json';
    headers['Content-Length'] = String(Buffer.byteLength(payload));
  }
  return new Promise((resolve, reject) => {
    const outgoing = https.request(url, { method: request.method ?? 'GET', headers, ca: endpoint.ca, timeout: request.timeoutMs ?? 30_000 }, (incoming) => {
      const chunks: Buffer[] = [];
      incoming.on('data', (chunk: Buffer) => chunks.push(chunk));
      incoming.on('error', reject);
      incoming.on('end', () => {
        const text = Buffer.concat(chunks).toString('utf8');
        resolve({ status: incoming.statusCode ?? 0, text, body: parseJson(text) });
      });
    });
    outgoing.on('timeout', () => outgoing.destroy(new Error(`${request.method ?? 'GET'} ${url.href} timed out`)));
    outgoing.on('error', reject);
    outgoing.end(payload);
  });
}
