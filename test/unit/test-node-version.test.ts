import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { otherNodeMajor, pinnedTestNode } from '../support/test-node-version.js';

const packageJson = readFileSync(new URL('../../../package.json', import.meta.url), 'utf8');

describe('the Node the tests run on', () => {
  it('is the major of the node devDependency, which this test process runs on too', () => {
    const pinned = pinnedTestNode(packageJson);
    assert.match(pinned, /^24\./);
    assert.equal(process.version.split('.')[0], `v${pinned.split('.')[0]}`, `this test runs on ${process.execPath}`);
  });

  it('accepts any release of the pinned major', () => {
    assert.equal(otherNodeMajor('24.21.0', 'v24.21.0', '/x/node', 'npm test'), undefined);
    assert.equal(otherNodeMajor('24.21.0', 'v24.11.1', '/x/node', 'npm test'), undefined);
  });

  it('refuses another major with one line that names both Nodes and how to get the right one', () => {
    const problem = otherNodeMajor('24.21.0', 'v20.20.2', '/usr/bin/node', 'npm test');
    assert.equal(
      problem,
      'npm test runs on Node 24 (package.json devDependencies.node 24.21.0), but this is Node v20.20.2 (/usr/bin/node). ' +
        'Run it as `npm test` after `npm ci`: npm scripts put node_modules/.bin/node (Node 24.21.0) first on PATH.\n',
    );
    assert.notEqual(otherNodeMajor('24.21.0', 'v26.0.0', '/x/node', 'npm test'), undefined);
  });

  it('needs an exact pin to compare with', () => {
    assert.throws(() => pinnedTestNode('{"devDependencies":{"node":"^24"}}'), /pins no exact devDependencies.node \(\^24\)/);
    assert.throws(() => pinnedTestNode('{}'), /pins no exact devDependencies.node \(undefined\)/);
  });
});
