import fs from 'node:fs/promises';
import path from 'node:path';
import { resolveCacheDir } from '../system/cache-dir.js';
import { withFileLock } from '../system/file-lock.js';
import { runCommand } from '../system/run-command.js';
import { goEnvironment } from './go-module-build.js';
import { ensureGoTool, GO_TOOL_RECIPES } from './go-tools.js';
import { YAMALE_VERSION, YAMLLINT_VERSION } from './tool-versions.js';
import { pathExists } from '../services/path-exists.js';

/** What `ct lint` needs: its binary, the directory of its default chart_schema.yaml and lintconf.yaml, and a PATH with helm, yamllint and yamale. */
export interface ChartTesting {
  ct: string;
  configDir: string;
  path: string;
}

const linters = `yamllint-${YAMLLINT_VERSION}-yamale-${YAMALE_VERSION}`;

/**
 * yamllint and yamale at their pinned versions in a virtual environment of the cache, never among the system's
 * Python packages. A venv cannot move (its scripts name its path), so it is built in place and marked complete last.
 */
async function ensureLinters(): Promise<string> {
  const venv = path.join(resolveCacheDir(), 'python', linters);
  const complete = path.join(venv, '.complete');
  if (await pathExists(complete)) return path.join(venv, 'bin');
  return withFileLock(path.join(resolveCacheDir(), 'locks', linters), async () => {
    if (await pathExists(complete)) return path.join(venv, 'bin');
    await fs.rm(venv, { recursive: true, force: true });
    await runCommand('python3', ['-m', 'venv', venv]);
    await runCommand(path.join(venv, 'bin', 'pip'), ['install', '--disable-pip-version-check', '--quiet', `yamllint==${YAMLLINT_VERSION}`, `yamale==${YAMALE_VERSION}`]);
    await fs.writeFile(complete, '');
    return path.join(venv, 'bin');
  });
}

/** The directory of chart-testing's own etc/ (chart_schema.yaml, lintconf.yaml) in the Go module cache. */
async function chartTestingConfigDir(): Promise<string> {
  const { module, version } = GO_TOOL_RECIPES.ct;
  const { stdout } = await runCommand('go', ['mod', 'download', '-json', `${module}@${version}`], { cwd: resolveCacheDir(), env: goEnvironment() });
  const { Dir: dir } = JSON.parse(stdout) as { Dir?: string };
  if (dir === undefined) throw new Error(`go mod download ${module}@${version} reported no directory:\n${stdout}`);
  return path.join(dir, 'etc');
}

/** ct, built from the Go module proxy on first use, with what `ct lint` runs. */
export async function ensureChartTesting(): Promise<ChartTesting> {
  const [ct, helm, lintersBin] = await Promise.all([ensureGoTool('ct'), ensureGoTool('helm'), ensureLinters()]);
  const configDir = await chartTestingConfigDir();
  return { ct, configDir, path: [path.dirname(helm), lintersBin, process.env.PATH ?? ''].join(path.delimiter) };
}
