import { describeError } from '../system/log-tail.js';
import { buildApplicationImageIn } from './application-image.js';
import { pushImage, tagImage } from './podman.js';
import { ensureServiceStandIn, type ServiceStandIn } from './service-stand-ins.js';

/**
 * skaffold's custom builder where the cluster tests run the user's skaffold configuration (the substitutions of
 * test/cluster/support/offline-skaffold.ts), with no Docker daemon: `application` builds the Dockerfile of skaffold's build context with podman on the
 * stand-in base images; `kafka` and `timescaledb` tag the stand-ins of deploy/k8s's public images. The image
 * gets skaffold's name ($IMAGE) and is pushed when $PUSH_IMAGE is true, as skaffold's contract asks.
 */
const TARGETS = ['application', 'kafka', 'timescaledb'] as const;
type Target = (typeof TARGETS)[number];

function isTarget(value: string | undefined): value is Target {
  return TARGETS.some((target) => target === value);
}

async function build(target: Target, image: string, context: string): Promise<void> {
  if (target === 'application') await buildApplicationImageIn(context, image);
  else await tagImage(await ensureServiceStandIn(target satisfies ServiceStandIn), image);
}

const [target] = process.argv.slice(2);
const image = process.env['IMAGE'] ?? '';
if (!isTarget(target) || image === '') {
  process.stderr.write(`usage: IMAGE=name:tag [PUSH_IMAGE=true] [BUILD_CONTEXT=dir] node skaffold-build-cli.js ${TARGETS.join('|')} (skaffold's custom builder sets the variables)\n`);
  process.exit(64);
}
try {
  await build(target, image, process.env['BUILD_CONTEXT'] ?? process.cwd());
  if (process.env['PUSH_IMAGE'] === 'true') await pushImage(image);
} catch (error) {
  process.stderr.write(`Building ${target} as ${image} failed: ${describeError(error)}\n`);
  process.exit(1);
}
