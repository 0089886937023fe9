import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

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
