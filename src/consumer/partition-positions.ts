import type { PartitionPosition } from './batch-plan.js';

/**
 * Each assigned partition's position, read from the table on the partition's first batch after an
 * assignment and kept up to date by the batches this member stores.
 */
export class PartitionPositions {
  private readonly known = new Map<number, PartitionPosition>();

  constructor(private readonly readStored: (partition: number) => Promise<string | null>) {}

  /** The partition's position, read from the table unless known. */
  async of(partition: number): Promise<PartitionPosition> {
    const known = this.known.get(partition);
    if (known !== undefined) return known;
    const offset = await this.readStored(partition);
    // With no stored offset there is nothing to compare the fetch with: the committed Kafka offset stands.
    const position = { offset, confirmed: offset === null };
    this.known.set(partition, position);
    return position;
  }

  /** The fetch continues from `offset`, this member's own write or seek. */
  confirm(partition: number, offset: string): void {
    this.known.set(partition, { offset, confirmed: true });
  }

  /** The partition's position is no longer known: read it from the table again. */
  forget(partition: number): void {
    this.known.delete(partition);
  }

  /** A new assignment: what this member knew may be stale now. */
  forgetAll(): void {
    this.known.clear();
  }
}
