import { readFileSync } from 'node:fs';
import convict from 'convict';
import { parseDatabaseUrl } from './database-url.js';

const hostPort = /^[A-Za-z0-9.-]+:\d{1,5}$/;
// Kubernetes object names (RFC 1123 subdomain) and namespace names (RFC 1123 label).
const dnsSubdomain = /^(?=.{1,253}$)[a-z0-9]([-a-z0-9]*[a-z0-9])?(\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*$/;
const dnsLabel = /^[a-z0-9]([-a-z0-9]{0,61}[a-z0-9])?$/;

/** A name check that also accepts '' when the schema entry says `optional: true`. */
function kubernetesName(pattern: RegExp, what: string): convict.Format {
  return {
    validate(value: unknown, schema: convict.SchemaObj) {
      if (schema.optional === true && value === '') return;
      if (typeof value !== 'string' || !pattern.test(value)) throw new Error(`must be ${what}`);
    },
  };
}

function parseInteger(value: string): number | string {
  return /^-?\d+$/.test(value.trim()) ? Number(value) : value;
}

/** Formats for the config schema; each coerces an environment string, then validates the value. */
export const configFormats: Record<string, convict.Format> = {
  'broker-list': {
    coerce: (value: string) => value.split(',').map((b) => b.trim()).filter((b) => b !== ''),
    validate(value: unknown) {
      if (!Array.isArray(value) || value.length === 0 || !value.every((b) => typeof b === 'string' && hostPort.test(b))) {
        throw new Error('must be a comma-separated list of host:port');
      }
    },
  },
  'boolean-flag': {
    coerce: (value: string) => ({ true: true, false: false })[value.trim().toLowerCase()] ?? value,
    validate(value: unknown) {
      if (typeof value !== 'boolean') throw new Error('must be true or false');
    },
  },
  'bounded-int': {
    coerce: parseInteger,
    validate(value: unknown, schema: convict.SchemaObj) {
      const { min, max } = schema as convict.SchemaObj & { min: number; max: number };
      if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
        throw new Error(`must be an integer from ${min} to ${max}`);
      }
    },
  },
  'non-empty-string': {
    validate(value: unknown) {
      if (typeof value !== 'string' || value.trim() === '') throw new Error('must be a non-empty string');
    },
  },
  'kubernetes-name': kubernetesName(dnsSubdomain, 'a Kubernetes object name: lower-case letters, digits, - and ., at most 253 characters'),
  'kubernetes-namespace': kubernetesName(dnsLabel, 'a Kubernetes namespace name: lower-case letters, digits and -, at most 63 characters'),
  'pem-file': {
    validate(value: unknown) {
      if (typeof value !== 'string') throw new Error('must be a file path');
      if (value === '') return;
      let text: string;
      try {
        text = readFileSync(value, 'utf8');
      } catch (error) {
        throw new Error(`cannot read ${value}: ${error instanceof Error && 'code' in error ? String(error.code) : 'unreadable'}`);
      }
      if (!text.includes('-----BEGIN ')) throw new Error(`${value} is not a PEM file (no -----BEGIN line)`);
    },
  },
  'topic-name': {
    validate(value: unknown) {
      if (typeof value !== 'string' || !/^[A-Za-z0-9._-]{1,249}$/.test(value)) {
        throw new Error('must be a Kafka topic name: 1 to 249 characters of A-Z a-z 0-9 . _ -');
      }
    },
  },
  'postgres-url': {
    validate(value: unknown) {
      const url = typeof value === 'string' && URL.canParse(value) ? new URL(value) : undefined;
      if (!url || !['postgres:', 'postgresql:'].includes(url.protocol)) {
        throw new Error('must be a URL of the form postgres://user@host:port/database');
      }
      const { settings, problems } = parseDatabaseUrl(url.toString());
      if (settings.host === '') problems.push('no host: give it in the URL (postgres://host/name) or as ?host=');
      if (problems.length > 0) throw new Error(problems.join('; '));
    },
  },
};
