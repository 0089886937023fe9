/** Invalid configuration: one problem per bad key, none of them showing a secret value. */
export class ConfigError extends Error {
  readonly code = 'invalid_config';

  constructor(readonly problems: readonly string[]) {
    super(`invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
  }
}
