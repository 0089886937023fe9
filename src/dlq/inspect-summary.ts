import type { DeadLetterRecord } from './dead-letter-record.js';

/** One letter as `dlq inspect` shows it: the value cut to a readable length. */
export interface LetterSample {
  reason: string;
  error: string;
  original: DeadLetterRecord['original'] & { time: string };
  letter: DeadLetterRecord['letter'];
  value: string | null;
  valueTruncated: boolean;
}

interface TimeRange {
  first: string;
  last: string;
}

interface OffsetRange {
  topic: string;
  partition: number;
  letters: number;
  first: string;
  last: string;
}

/** What `dlq inspect` prints. */
export interface InspectSummary {
  topic: string;
  /** Letters read, and those the filter took. */
  read: number;
  matched: number;
  byReason: Record<string, number>;
  /** When the matched events were produced, by their original record timestamp. */
  originalTime: TimeRange | null;
  /** When they were dead-lettered, by the letters' own timestamp. */
  deadLetteredTime: TimeRange | null;
  originalOffsets: OffsetRange[];
  samples: LetterSample[];
}

const sampleValueChars = 500;

function isoTime(epochMs: string): string {
  const date = new Date(Number(epochMs));
  return Number.isNaN(date.getTime()) ? epochMs : date.toISOString();
}

function widen(range: { first: number; last: number } | null, time: number): { first: number; last: number } | null {
  if (!Number.isFinite(time)) return range;
  return range === null ? { first: time, last: time } : { first: Math.min(range.first, time), last: Math.max(range.last, time) };
}

function asIso(range: { first: number; last: number } | null): TimeRange | null {
  return range === null ? null : { first: new Date(range.first).toISOString(), last: new Date(range.last).toISOString() };
}

export function sampleOf(record: DeadLetterRecord): LetterSample {
  const value = record.message.value?.toString('utf8') ?? null;
  return {
    reason: record.reason,
    error: record.error,
    original: { ...record.original, time: isoTime(record.original.timestamp) },
    letter: record.letter,
    value: value !== null && value.length > sampleValueChars ? `${value.slice(0, sampleValueChars)}…` : value,
    valueTruncated: record.valueTruncated,
  };
}

/** Counts letters by reason, time and original offsets, and keeps the first `samplesPerReason` of each reason. */
export class InspectAccumulator {
  private read = 0;
  private matched = 0;
  private readonly byReason = new Map<string, number>();
  private originalTime: { first: number; last: number } | null = null;
  private deadLetteredTime: { first: number; last: number } | null = null;
  private readonly offsets = new Map<string, { topic: string; partition: number; letters: number; first: bigint; last: bigint }>();
  private readonly samples: LetterSample[] = [];

  constructor(
    private readonly topic: string,
    private readonly samplesPerReason: number,
  ) {}

  countRead(letters: number): void {
    this.read += letters;
  }

  add(record: DeadLetterRecord): void {
    this.matched += 1;
    const seen = this.byReason.get(record.reason) ?? 0;
    this.byReason.set(record.reason, seen + 1);
    if (seen < this.samplesPerReason) this.samples.push(sampleOf(record));
    this.originalTime = widen(this.originalTime, Number(record.original.timestamp));
    this.deadLetteredTime = widen(this.deadLetteredTime, Number(record.letter.timestamp));
    const { topic, partition } = record.original;
    const offset = BigInt(record.original.offset);
    const key = `${topic}\u0000${partition}`;
    const range = this.offsets.get(key);
    if (range === undefined) this.offsets.set(key, { topic, partition, letters: 1, first: offset, last: offset });
    else {
      range.letters += 1;
      if (offset < range.first) range.first = offset;
      if (offset > range.last) range.last = offset;
    }
  }

  summary(): InspectSummary {
    return {
      topic: this.topic,
      read: this.read,
      matched: this.matched,
      byReason: Object.fromEntries([...this.byReason].sort(([a], [b]) => a.localeCompare(b))),
      originalTime: asIso(this.originalTime),
      deadLetteredTime: asIso(this.deadLetteredTime),
      originalOffsets: [...this.offsets.values()]
        .sort((a, b) => a.topic.localeCompare(b.topic) || a.partition - b.partition)
        .map((range) => ({ ...range, first: String(range.first), last: String(range.last) })),
      samples: this.samples,
    };
  }
}
