import path from 'node:path';
import { writeKubeconfig } from '../tools/kubeconfig.js';
import type { ClusterPki, ClusterUser } from './pki.js';

/** Writes `<user>.kubeconfig` in `directory`, authenticating with that user's static token. */
export async function writeUserKubeconfig(directory: string, server: string, pki: ClusterPki, user: ClusterUser): Promise<string> {
  const file = path.join(directory, `${user}.kubeconfig`);
  await writeKubeconfig(file, { server, caFile: pki.caCertificate, token: pki.tokens[user], name: user });
  return file;
}
