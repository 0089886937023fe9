import { randomBytes } from 'node:crypto';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { runCommand } from '../system/run-command.js';

/** The name the local servers' certificates are issued for; clients reach the servers under it. */
export const TLS_SERVER_NAME = 'localhost';

/** PEM files of a throwaway PKI for the local TLS listeners, all in one directory. */
export interface TestCertificates {
  readonly directory: string;
  /** The CA that signed the server and client certificates: what KAFKA_SSL_CA_FILE and DATABASE_SSL_CA_FILE name. */
  readonly caFile: string;
  /** Issued for TLS_SERVER_NAME only, so reaching a server as 127.0.0.1 is a host name mismatch. */
  readonly serverCertificateFile: string;
  readonly serverKeyFile: string;
  /** A client certificate signed by the same CA, for mutual TLS. */
  readonly clientCertificateFile: string;
  readonly clientKeyFile: string;
  /** A second CA that signed nothing these servers present: trusting only it is an unknown CA. */
  readonly unrelatedCaFile: string;
}

const VALIDITY_DAYS = '2';
const EC_KEY = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];

async function openssl(directory: string, args: readonly string[]): Promise<void> {
  await runCommand('openssl', args, { cwd: directory });
}

async function selfSignedCa(directory: string, name: string, commonName: string): Promise<void> {
  await openssl(directory, ['req', '-x509', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.crt`, '-days', VALIDITY_DAYS, '-subj', `/CN=${commonName}`]);
}

/** Random, so that certificates signed at the same time need no shared serial file. */
function serialNumber(): string {
  return `0x${randomBytes(8).toString('hex')}`;
}

async function signedCertificate(directory: string, name: string, commonName: string, extensions: string): Promise<void> {
  const extensionsFile = join(directory, `${name}.ext`);
  await writeFile(extensionsFile, extensions);
  await openssl(directory, ['req', '-new', ...EC_KEY, '-keyout', `${name}.key`, '-out', `${name}.csr`, '-subj', `/CN=${commonName}`]);
  await openssl(directory, ['x509', '-req', '-in', `${name}.csr`, '-CA', 'ca.crt', '-CAkey', 'ca.key', '-set_serial', serialNumber(), '-days', VALIDITY_DAYS, '-out', `${name}.crt`, '-extfile', extensionsFile]);
}

/**
 * Makes a test CA with openssl, a server certificate for TLS_SERVER_NAME, a client certificate and an
 * unrelated CA, in `directory`. EC keys, so this takes a few tens of milliseconds; keys are PKCS#8 PEM,
 * which Kafka, PostgreSQL and Node all read.
 */
export async function createTestCertificates(directory: string): Promise<TestCertificates> {
  await mkdir(directory, { recursive: true, mode: 0o700 });
  await Promise.all([selfSignedCa(directory, 'ca', 'todo-history test CA'), selfSignedCa(directory, 'unrelated-ca', 'todo-history unrelated CA')]);
  await Promise.all([
    signedCertificate(directory, 'server', TLS_SERVER_NAME, `subjectAltName=DNS:${TLS_SERVER_NAME}\nextendedKeyUsage=serverAuth\n`),
    signedCertificate(directory, 'client', 'todo-history', 'extendedKeyUsage=clientAuth\n'),
  ]);
  return {
    directory,
    caFile: join(directory, 'ca.crt'),
    serverCertificateFile: join(directory, 'server.crt'),
    serverKeyFile: join(directory, 'server.key'),
    clientCertificateFile: join(directory, 'client.crt'),
    clientKeyFile: join(directory, 'client.key'),
    unrelatedCaFile: join(directory, 'unrelated-ca.crt'),
  };
}
