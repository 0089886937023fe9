import { readFile } from 'node:fs/promises';

/** The last lines of a log file, or a note saying why there are none; never throws. */
export async function readLogTail(logFile: string, maxLines = 60): Promise<string> {
  try {
    const lines = (await readFile(logFile, 'utf8')).trimEnd().split('\n');
    const tail = lines.slice(-maxLines).join('\n');
    return `--- last ${Math.min(maxLines, lines.length)} lines of ${logFile} ---\n${tail}`;
  } catch (error) {
    return `--- no log available at ${logFile}: ${describeError(error)} ---`;
  }
}

/** The last `count` lines of `text`, noting how many came before. */
export function lastLines(text: string, count: number): string {
  const lines = text.split('\n');
  return lines.length <= count ? text : [`[... ${lines.length - count} earlier lines omitted]`, ...lines.slice(-count)].join('\n');
}

export function describeError(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
