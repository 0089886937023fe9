/** Process exit codes, so an orchestrator (and a test) can tell a usage slip from bad config from a failure. */
export const exitCodes = {
  ok: 0,
  failure: 1,
  usage: 64,
  config: 78,
} as const;
