import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { protectedPackageChanges } from '../../deploy/local/cluster/debian-packages.js';

describe('protectedPackageChanges', () => {
  it('names the PostgreSQL and libpq packages an apt simulation would install or upgrade, and nothing else', () => {
    const simulation = [
      'Reading package lists...',
      'Inst login [1:4.13+dfsg1-1+deb12u1] (1:4.13+dfsg1-1+deb12u2 Debian:12.15/oldstable [amd64])',
      'Inst libpq5 [15.18-0+deb12u1] (15.19-0+deb12u1 Debian-Security:12/oldstable-security [amd64])',
      'Inst containerd (1.6.20~ds1-1+deb12u3 Debian:12.15/oldstable [amd64])',
      'Inst postgresql-15 [15.18-0+deb12u1] (15.19-0+deb12u1 Debian-Security:12/oldstable-security [amd64])',
      'Conf postgresql-15 (15.19-0+deb12u1 Debian-Security:12/oldstable-security [amd64])',
    ].join('\n');
    assert.deepEqual(protectedPackageChanges(simulation), ['libpq5', 'postgresql-15']);
    assert.deepEqual(protectedPackageChanges('Inst runc (1.1.5+ds1-1+deb12u1 Debian:12.15/oldstable [amd64])\n'), []);
  });
});
