import { ensureGoTool, ensureKubernetesSchemas } from '../../../deploy/local/tools/go-tools.js';
import { runCommandForResult } from '../../../deploy/local/system/run-command.js';

export interface KubeconformResource {
  filename: string;
  kind: string;
  name: string;
  version: string;
  status: 'statusValid' | 'statusInvalid' | 'statusError' | 'statusSkipped' | 'statusEmpty';
  msg: string;
}

export interface KubeconformReport {
  exitCode: number | null;
  resources: KubeconformResource[];
  stderr: string;
}

/**
 * Validates files of manifests with `kubeconform -strict` (unknown fields are errors) against the offline
 * Kubernetes schemas. Every resource is reported, valid ones included.
 */
export async function kubeconform(files: readonly string[], skipKinds: readonly string[] = []): Promise<KubeconformReport> {
  const args = ['-strict', '-output', 'json', '-verbose', '-schema-location', await ensureKubernetesSchemas()];
  if (skipKinds.length > 0) args.push('-skip', skipKinds.join(','));
  const result = await runCommandForResult(await ensureGoTool('kubeconform'), [...args, ...files]);
  const { resources } = JSON.parse(result.stdout) as { resources: KubeconformResource[] };
  return { exitCode: result.exitCode, resources, stderr: result.stderr };
}
