import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { lastOf, parseDockerfile, type Instruction, type Stage } from '../support/kubernetes/dockerfile.js';
import { runCommandForResult } from '../../deploy/local/system/run-command.js';
import { STAND_IN_NODE_VERSION } from '../../deploy/local/image/base-images.js';
import { pinnedTestNode } from '../support/test-node-version.js';

// No Docker engine here: these checks cover what can be known without building the image.
const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
const stages = parseDockerfile(readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8'));
const runtime = stages.at(-1) as Stage;
const stageNamed = (name: string): Stage => {
  const stage = stages.find((candidate) => candidate.name === name);
  assert.ok(stage, `no stage ${name}`);
  return stage;
};
const copies = (stage: Stage): Instruction[] => stage.instructions.filter((instruction) => instruction.keyword === 'COPY');
const runs = (stage: Stage): string[] => stage.instructions.filter((i) => i.keyword === 'RUN').map((i) => i.args.join(' '));
const workdir = (stage: Stage): string => lastOf(stage, 'WORKDIR')?.args[0] ?? '/';

/** The .dockerignore is an allowlist: `*`, then `!name` for each top-level path the build may see. */
function contextAllowlist(): string[] {
  const patterns = readFileSync(path.join(repoRoot, '.dockerignore'), 'utf8')
    .split('\n')
    .map((line) => line.trim())
    .filter((line) => line !== '' && !line.startsWith('#'));
  assert.equal(patterns[0], '*', '.dockerignore starts by excluding everything');
  const allowed = patterns.slice(1).map((pattern) => {
    assert.match(pattern, /^![\w.-]+$/, `only \`!name\` entries follow \`*\`, so this check understands them all: ${pattern}`);
    return pattern.slice(1);
  });
  return allowed;
}

describe('Dockerfile', () => {
  it('builds with dev dependencies and the patched kafkajs, ships production ones alone, and runs on Node 24 as a non-root user', () => {
    assert.deepEqual(stages.map((stage) => stage.name), ['build', 'runtime']);
    const buildRuns = runs(stageNamed('build'));
    const step = (pattern: RegExp): number => buildRuns.findIndex((run) => pattern.test(run));
    const install = step(/^npm ci\b/);
    assert.ok(install >= 0 && !buildRuns[install]?.includes('--omit=dev'), 'tsc needs the dev dependencies');
    // npm ci --ignore-scripts skips the postinstall that applies patches/ (the kafkajs fixes), so the stage applies them.
    const patch = step(/\bpatch-package\b/);
    const compile = buildRuns.indexOf('npm run build');
    const prune = step(/^npm prune\b.*--omit=dev/);
    assert.ok(install < patch && patch < compile && compile < prune, `npm ci, patch-package, npm run build, npm prune --omit=dev in that order: ${buildRuns.join(' | ')}`);
    assert.ok(copies(runtime).some((c) => c.flags['from'] === 'build' && c.args[0] === '/app/node_modules'), 'the runtime gets the patched, pruned node_modules');
    assert.match(runtime.base, /^gcr\.io\/distroless\/nodejs24-debian13:nonroot@sha256:[0-9a-f]{64}$/);
    const user = lastOf(runtime, 'USER')?.args[0] ?? '';
    assert.match(user, /^[1-9]\d*(:[1-9]\d*)?$/, 'a numeric non-root user, so that Kubernetes\' runAsNonRoot can verify it');
    assert.equal(runs(runtime).length, 0, 'the runtime image (distroless) has no shell to RUN with');
  });

  it('takes its base images from build arguments that default to the public images pinned by digest, without a syntax directive', () => {
    const dockerfile = readFileSync(path.join(repoRoot, 'Dockerfile'), 'utf8');
    // BuildKit fetches the frontend a `# syntax=` line names from Docker Hub, so offline builds would fail.
    assert.doesNotMatch(dockerfile, /^#\s*syntax\s*=/im);
    const external = stages.filter((stage) => !stages.some((other) => other.name === stage.base));
    assert.deepEqual(external.map((stage) => stage.baseAsWritten), ['${NODE_IMAGE}', '${RUNTIME_IMAGE}']);
    const [build, runtimeBase] = external.map((stage) => stage.base);
    assert.match(build ?? '', /^node:\d+\.\d+\.\d+-trixie-slim@sha256:[0-9a-f]{64}$/);
    assert.match(runtimeBase ?? '', /^gcr\.io\/distroless\/nodejs24-debian13:nonroot@sha256:[0-9a-f]{64}$/);
  });

  it('builds on the Node the tests run on, as do the cluster tests\' stand-ins', () => {
    const testNode = pinnedTestNode(readFileSync(path.join(repoRoot, 'package.json'), 'utf8'));
    const buildNode = /^node:(\d+\.\d+\.\d+)-/.exec(stageNamed('build').base)?.[1];
    assert.equal(buildNode, testNode);
    assert.equal(STAND_IN_NODE_VERSION, testNode);
    assert.match(runtime.base, new RegExp(`/nodejs${testNode.split('.')[0] ?? ''}-`));
  });

  it('runs the CLI with node as PID 1, consume by default, and keeps no secret in the image', () => {
    const entrypoint = lastOf(runtime, 'ENTRYPOINT')?.args ?? [];
    assert.match(entrypoint[0] ?? '', /(^|\/)node$/);
    assert.equal(entrypoint.at(-1), 'dist/src/cli.js');
    assert.ok(entrypoint.slice(1, -1).every((arg) => arg.startsWith('--')), 'only node options between node and the CLI');
    assert.deepEqual(lastOf(runtime, 'CMD')?.args, ['consume']);
    assert.equal(workdir(runtime), '/app');
    for (const stage of stages) {
      for (const instruction of stage.instructions.filter((i) => i.keyword === 'ENV' || i.keyword === 'ARG')) {
        assert.doesNotMatch(instruction.args.join(' '), /PASSWORD|SECRET|TOKEN|DATABASE_URL/i, `line ${instruction.line}`);
      }
      assert.equal(stage.instructions.filter((i) => i.keyword === 'HEALTHCHECK').length, 0, 'probes live in the chart');
    }
  });

  it('copies from the build context only files that exist and that .dockerignore lets through', () => {
    const allowed = contextAllowlist();
    const sources = stages.flatMap((stage) => copies(stage).filter((c) => c.flags['from'] === undefined).flatMap((c) => c.args.slice(0, -1)));
    assert.ok(sources.length > 0);
    for (const source of sources) {
      assert.ok(existsSync(path.join(repoRoot, source)), `${source} exists`);
      assert.ok(allowed.includes(source.split('/')[0] ?? ''), `${source} is in the build context`);
    }
  });

  describe('the runtime filesystem, assembled from the COPY instructions of the last stage', () => {
    let imageRoot = '';
    before(async () => {
      imageRoot = await fs.mkdtemp(path.join(os.tmpdir(), 'todo-history-image-'));
      const app = path.join(imageRoot, workdir(runtime));
      await fs.mkdir(app, { recursive: true });
      for (const copy of copies(runtime)) {
        const from = copy.flags['from'];
        const [source = '', destination = ''] = copy.args;
        // A path in the build stage is the same path in this work tree after `npm ci` and `npm run build`.
        const local = from === undefined ? path.join(repoRoot, source) : path.join(repoRoot, path.posix.relative(workdir(stageNamed(from)), source));
        assert.ok(existsSync(local), `COPY ${from === undefined ? '' : `--from=${from} `}${source}: ${local} exists after the build`);
        // Docker's rule: a destination ending in / is a directory that receives the source under its own name.
        const target = destination.endsWith('/') ? path.join(app, destination, path.basename(source)) : path.resolve(app, destination);
        await fs.mkdir(path.dirname(target), { recursive: true });
        // node_modules holds dev dependencies here too; a test below checks that the runtime imports none.
        if (path.basename(local) === 'node_modules') await fs.symlink(local, target);
        else await fs.cp(local, target, { recursive: true });
      }
    });
    after(async () => {
      await fs.rm(imageRoot, { recursive: true, force: true });
    });

    it('holds dist/src and dist/migrations, and nothing of dist/test', () => {
      const dist = path.join(imageRoot, 'app', 'dist');
      assert.deepEqual(readdirSync(dist).sort(), ['migrations', 'src']);
      const compiled = readdirSync(path.join(dist, 'migrations')).filter((file) => file.endsWith('.js'));
      const sources = readdirSync(path.join(repoRoot, 'migrations')).filter((file) => file.endsWith('.ts'));
      assert.deepEqual(compiled.sort(), sources.map((file) => file.replace(/\.ts$/, '.js')).sort());
    });

    it('imports only production dependencies and Node built-ins', async () => {
      const { dependencies } = JSON.parse(readFileSync(path.join(repoRoot, 'package.json'), 'utf8')) as { dependencies: Record<string, string> };
      const files = (await fs.readdir(path.join(imageRoot, 'app', 'dist'), { recursive: true })).filter((file) => file.endsWith('.js'));
      const imported = new Set<string>();
      for (const file of files) {
        const code = await fs.readFile(path.join(imageRoot, 'app', 'dist', file), 'utf8');
        for (const match of code.matchAll(/(?:^|\n)\s*(?:import|export)\b[^'"]*?\bfrom\s+['"]([^'"]+)['"]|\bimport\(\s*['"]([^'"]+)['"]\s*\)/g)) {
          const specifier = match[1] ?? match[2] ?? '';
          if (!specifier.startsWith('.') && !specifier.startsWith('node:')) imported.add(specifier.startsWith('@') ? specifier.split('/').slice(0, 2).join('/') : (specifier.split('/')[0] ?? ''));
        }
      }
      assert.ok(imported.size > 0);
      for (const name of imported) assert.ok(name in dependencies, `${name} is imported at runtime but is not a production dependency`);
    });

    it('starts the CLI the way the ENTRYPOINT does', async () => {
      const [, ...nodeArgs] = lastOf(runtime, 'ENTRYPOINT')?.args ?? [];
      assert.deepEqual(lastOf(runtime, 'CMD')?.args, ['consume']);
      const result = await runCommandForResult(process.execPath, [...nodeArgs, 'help'], { cwd: path.join(imageRoot, 'app'), env: { PATH: process.env['PATH'] ?? '' } });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.match(result.stdout, /^Usage: todo-history <command>/);
    });

    it('keeps kafkajs\' negative-timer warning out of the log, and no other', async () => {
      const [, ...nodeArgs] = lastOf(runtime, 'ENTRYPOINT')?.args ?? [];
      const options = nodeArgs.filter((arg) => arg.startsWith('--'));
      const timers = 'setTimeout(() => {}, -1); process.emitWarning("still reported", "OtherWarning")';
      const result = await runCommandForResult(process.execPath, [...options, '-e', timers], { env: { PATH: process.env['PATH'] ?? '' } });
      assert.equal(result.exitCode, 0, result.stderr);
      assert.doesNotMatch(result.stderr, /TimeoutNegativeWarning/);
      assert.match(result.stderr, /OtherWarning: still reported/);
    });
  });
});
