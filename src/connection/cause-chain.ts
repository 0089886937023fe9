/**
 * An error and what it wraps, outermost first: kafkajs nests the real cause in `originalError`, Node and
 * our own errors in `cause`. Bounded, since nothing stops a cycle.
 */
export function causeChain(error: unknown): object[] {
  const chain: object[] = [];
  for (let current = error; typeof current === 'object' && current !== null && chain.length < 5; ) {
    chain.push(current);
    current = 'originalError' in current ? current.originalError : 'cause' in current ? current.cause : undefined;
  }
  return chain;
}
