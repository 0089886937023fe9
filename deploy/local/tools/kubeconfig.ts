import fs from 'node:fs/promises';

export interface KubeconfigInput {
  server: string;
  caFile: string;
  token: string;
  name?: string;
}

/** Writes a kubeconfig (JSON is valid YAML) with one cluster, one token user and a current context. */
export async function writeKubeconfig(file: string, { server, caFile, token, name = 'test' }: KubeconfigInput): Promise<void> {
  const kubeconfig = {
    apiVersion: 'v1',
    kind: 'Config',
    clusters: [{ name, cluster: { server, 'certificate-authority': caFile } }],
    users: [{ name, user: { token } }],
    contexts: [{ name, context: { cluster: name, user: name, namespace: 'default' } }],
    'current-context': name,
    preferences: {},
  };
  await fs.writeFile(file, `${JSON.stringify(kubeconfig, null, 2)}\n`, { mode: 0o600 });
}
