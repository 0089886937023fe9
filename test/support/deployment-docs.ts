import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { commandBlocks, type BlockMarker, type CommandBlock } from './readme-commands.js';

const REPOSITORY_ROOT = fileURLToPath(new URL('../../../', import.meta.url));
const README_SECTION = '## Deploy to Kubernetes';
/** The documents the README's deploy section links for deploying, whose commands a user runs as well. */
const LINKED_DOCUMENTS = ['docs/kubernetes.md'];

/** A document, or the part of one, that tells a user how to deploy the product. */
export interface DeploymentDocument {
  /** Where it is, for messages: a path, with the section for the README. */
  readonly source: string;
  readonly markdown: string;
}

/** The README's section from its heading to the next heading of the same level. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n${heading}\n`);
  if (start === -1) throw new Error(`README.md has no section "${heading}"`);
  const end = markdown.indexOf('\n## ', start + heading.length + 1);
  return markdown.slice(start + 1, end === -1 ? undefined : end + 1);
}

/** The README's "Deploy to Kubernetes" section and the documents it links for deploying. */
export async function deploymentDocuments(): Promise<DeploymentDocument[]> {
  const readme = await readFile(path.join(REPOSITORY_ROOT, 'README.md'), 'utf8');
  const linked = await Promise.all(LINKED_DOCUMENTS.map(async (file) => ({ source: file, markdown: await readFile(path.join(REPOSITORY_ROOT, file), 'utf8') })));
  return [{ source: `README.md, "${README_SECTION.slice(3)}"`, markdown: section(readme, README_SECTION) }, ...linked];
}

/**
 * The marks of the deployment documents' command blocks, in document order: what
 * test/cluster/readme-commands.test.ts runs, each block by its name. A block without a mark, or one this list
 * does not name, fails `npm test` (helm-chart-readme.test.ts), so no deployment command ships untested.
 */
export const CLUSTER_TESTED_BLOCKS: readonly BlockMarker[] = [
  { mode: 'run', name: 'install' },
  { mode: 'dry-run', name: 'msk' },
  { mode: 'run', name: 'uninstall' },
];

/** A command block of a deployment document, with where it is. */
export interface DeploymentCommandBlock extends CommandBlock {
  readonly source: string;
}

export async function deploymentCommandBlocks(): Promise<DeploymentCommandBlock[]> {
  return (await deploymentDocuments()).flatMap((document) => commandBlocks(document.markdown).map((block) => ({ ...block, source: document.source })));
}
