import { readFileSync } from 'node:fs';

/**
 * The tests run on the Node of the `node` devDependency (npm's build of Node's official binary), which
 * npm scripts find first on PATH in node_modules/.bin, whatever Node runs npm itself. Everything a test
 * runner spawns uses its `process.execPath`, so checking the runner checks them all.
 */
export function pinnedTestNode(packageJsonText: string): string {
  const manifest = JSON.parse(packageJsonText) as { devDependencies?: Record<string, string> };
  const version = manifest.devDependencies?.['node'];
  if (version === undefined || !/^\d+\.\d+\.\d+$/.test(version)) throw new Error(`package.json pins no exact devDependencies.node (${String(version)})`);
  return version;
}

const major = (version: string): string => version.replace(/^v/, '').split('.')[0] ?? '';

/** Why `running` (a `process.version`) is not the tests' Node, or undefined when its major is the pinned one. */
export function otherNodeMajor(pinned: string, running: string, execPath: string, command: string): string | undefined {
  if (major(running) === major(pinned)) return undefined;
  return (
    `${command} runs on Node ${major(pinned)} (package.json devDependencies.node ${pinned}), but this is Node ${running} (${execPath}). ` +
    `Run it as \`${command}\` after \`npm ci\`: npm scripts put node_modules/.bin/node (Node ${pinned}) first on PATH.\n`
  );
}

/** Ends the process with one line, before any test runs, unless it runs on the tests' Node major. */
export function refuseOtherNodeMajor(command: string): void {
  const packageJson = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');
  const problem = otherNodeMajor(pinnedTestNode(packageJson), process.version, process.execPath, command);
  if (problem === undefined) return;
  process.stderr.write(problem);
  process.exit(1);
}
