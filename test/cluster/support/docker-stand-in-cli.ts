import path from 'node:path';
import { buildApplicationImageIn } from '../../../deploy/local/image/application-image.js';
import { pushImage } from '../../../deploy/local/image/podman.js';
import { describeError } from '../../../deploy/local/system/log-tail.js';

/**
 * `docker` for the README's commands in the cluster tests, which have no Docker daemon and no public base
 * image: `docker build -t IMAGE DIR` builds DIR's Dockerfile with podman on the stand-in base images (as the
 * test cluster's own image is built), `docker push IMAGE` pushes it over plain HTTP to the cluster's
 * registry. Any other use is refused, so a README command this does not stand in for fails its test.
 */
const [command, ...args] = process.argv.slice(2);
const [flag, image, context] = args;
try {
  if (command === 'build' && args.length === 3 && flag === '-t' && image !== undefined && context !== undefined) {
    await buildApplicationImageIn(path.resolve(context), image);
  } else if (command === 'push' && args.length === 1 && flag !== undefined) {
    await pushImage(flag);
  } else {
    process.stderr.write(`the cluster tests' docker stands in only for \`docker build -t IMAGE DIR\` and \`docker push IMAGE\`, not: docker ${process.argv.slice(2).join(' ')}\n`);
    process.exit(64);
  }
} catch (error) {
  process.stderr.write(`docker ${String(command)} failed: ${describeError(error)}\n`);
  process.exit(1);
}
