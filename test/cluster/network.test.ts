import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { KUBERNETES_SERVICE_IP } from '../../deploy/local/cluster/cluster-network.js';
import { runCommand } from '../../deploy/local/system/run-command.js';
import { waitFor } from '../../deploy/local/system/wait-for.js';
import { kubectl } from './support/cluster-commands.js';
import { clusterSessionEnv } from './support/cluster-session-env.js';

const POD = 'network-check';
// Resolves the API server's Service through CoreDNS, then connects to it through kube-proxy's rules.
const CHECK = `
const dns = require('node:dns/promises');
const net = require('node:net');
dns.lookup('kubernetes.default.svc.cluster.local').then(({ address }) => {
  const socket = net.connect(443, address, () => { console.log('connected ' + address); socket.end(); });
  socket.on('error', (error) => { console.log('failed ' + error.code); process.exitCode = 1; });
}, (error) => { console.log('unresolved ' + error.code); process.exitCode = 1; });
`;

describe('the cluster network', () => {
  after(async () => {
    await kubectl('delete', 'pod', POD, '--ignore-not-found', '--wait=false');
  });

  it('has no route out of its namespace: the default routes are unreachable', async () => {
    const { stdout: ipv4 } = await runCommand('ip', ['-4', 'route', 'show', 'default']);
    const { stdout: ipv6 } = await runCommand('ip', ['-6', 'route', 'show', 'default']);
    assert.equal(ipv4.trim(), 'unreachable default');
    assert.match(ipv6.trim(), /^unreachable default\b/);
    const { stdout: links } = await runCommand('ip', ['-o', 'link', 'show']);
    const names = links.split('\n').filter((line) => line !== '').map((line) => line.split(': ')[1]?.split('@')[0] ?? '');
    for (const name of names) assert.match(name, /^(lo|node0|node0-peer|cni0|veth\w+)$/, `link ${name} is one the cluster made inside its namespace`);
  });

  it('lets a pod resolve a Service name through CoreDNS and reach it through kube-proxy', async () => {
    const { image } = clusterSessionEnv();
    await kubectl('run', POD, `--image=${image}`, '--image-pull-policy=Never', '--restart=Never', '--command', '--', '/nodejs/bin/node', '-e', CHECK);
    const phase = await waitFor('the check pod to finish', () => kubectl('get', 'pod', POD, '-o', 'jsonpath={.status.phase}'), (value) => value === 'Succeeded' || value === 'Failed', {
      timeoutMs: 60_000,
      intervalMs: 500,
    });
    const log = await kubectl('logs', POD);
    assert.equal(phase, 'Succeeded', log);
    assert.equal(log.trim(), `connected ${KUBERNETES_SERVICE_IP}`);
  });
});
