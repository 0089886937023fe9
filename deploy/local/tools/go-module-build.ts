import fs from 'node:fs/promises';
import path from 'node:path';
import { runCommand } from '../system/run-command.js';

/** How to build one `main` package of a published Go module. */
export interface GoBuildRecipe {
  module: string;
  version: string;
  mainPackage: string;
  /**
   * Version of the sibling modules that the tool's own go.mod replaces with local
   * directories (monorepos such as k8s.io/kubernetes `./staging/...` or etcd `../api`).
   */
  localReplacementVersion?: string;
  ldflags?: readonly string[];
  tags?: readonly string[];
}

interface ModulePath {
  Path: string;
  Version?: string;
}

interface GoModJson {
  Go?: string;
  Godebug?: { Key: string; Value: string }[] | null;
  Exclude?: ModulePath[] | null;
  Replace?: { Old: ModulePath; New: ModulePath }[] | null;
}

/**
 * Use the installed Go, never a downloaded toolchain; ignore any enclosing go.work;
 * skip VCS stamping (the cache may live inside a git work tree); static binaries.
 */
export function goEnvironment(): NodeJS.ProcessEnv {
  return { ...process.env, GOTOOLCHAIN: 'local', GOWORK: 'off', GOFLAGS: '-mod=mod -buildvcs=false', CGO_ENABLED: '0' };
}

async function readToolGoMod(recipe: GoBuildRecipe, workDir: string): Promise<GoModJson> {
  const moduleAtVersion = `${recipe.module}@${recipe.version}`;
  const download = await runCommand('go', ['mod', 'download', '-json', moduleAtVersion], {
    cwd: workDir,
    env: goEnvironment(),
  });
  const { GoMod: goModFile } = JSON.parse(download.stdout) as { GoMod?: string };
  if (goModFile === undefined) throw new Error(`go mod download ${moduleAtVersion} reported no go.mod:\n${download.stdout}`);
  const parsed = await runCommand('go', ['mod', 'edit', '-json', goModFile], {
    cwd: workDir,
    env: goEnvironment(),
  });
  return JSON.parse(parsed.stdout) as GoModJson;
}

function formatModule(module: ModulePath): string {
  return module.Version === undefined || module.Version === '' ? module.Path : `${module.Path} ${module.Version}`;
}

/**
 * `go install module@version` refuses modules whose go.mod has replace directives,
 * and those directives only apply in the main module. So the throwaway main module
 * repeats them, turning local-directory replacements into published versions.
 */
export function throwawayGoMod(recipe: GoBuildRecipe, toolGoMod: GoModJson): string {
  const lines = ['module local/throwaway-build', '', `go ${toolGoMod.Go ?? '1.22'}`, ''];
  for (const { Key, Value } of toolGoMod.Godebug ?? []) lines.push(`godebug ${Key}=${Value}`);
  lines.push(`require ${recipe.module} ${recipe.version}`, '');
  for (const excluded of toolGoMod.Exclude ?? []) lines.push(`exclude ${formatModule(excluded)}`);
  for (const { Old, New } of toolGoMod.Replace ?? []) {
    const isLocalDirectory = New.Version === undefined || New.Version === '';
    if (!isLocalDirectory) {
      lines.push(`replace ${formatModule(Old)} => ${formatModule(New)}`);
      continue;
    }
    if (recipe.localReplacementVersion === undefined) {
      throw new Error(`${recipe.module} replaces ${Old.Path} with directory ${New.Path}; the recipe needs localReplacementVersion`);
    }
    lines.push(`replace ${formatModule(Old)} => ${Old.Path} ${recipe.localReplacementVersion}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Builds `recipe.mainPackage` into `outputFile`, using `workDir` for the throwaway module (kept for faster rebuilds). */
export async function buildGoBinary(recipe: GoBuildRecipe, workDir: string, outputFile: string): Promise<void> {
  await fs.mkdir(workDir, { recursive: true });
  const goModPath = path.join(workDir, 'go.mod');
  // `go mod download` needs some go.mod to run in; the real one is written afterwards.
  await fs.writeFile(goModPath, 'module local/throwaway-build\n');
  const goMod = throwawayGoMod(recipe, await readToolGoMod(recipe, workDir));
  await fs.writeFile(goModPath, goMod);
  const args = ['build', '-trimpath', '-o', outputFile];
  if (recipe.ldflags !== undefined && recipe.ldflags.length > 0) args.push('-ldflags', recipe.ldflags.join(' '));
  if (recipe.tags !== undefined && recipe.tags.length > 0) args.push('-tags', recipe.tags.join(','));
  args.push(recipe.mainPackage);
  await runCommand('go', args, { cwd: workDir, env: goEnvironment() });
}
