import { readFileSync } from 'node:fs';

/** Linux reports /proc/PID/stat times in USER_HZ ticks, which is 100 on every architecture Node supports. */
const ticksPerSecond = 100;

/** CPU seconds (user + system) a running process has used so far, from /proc/PID/stat. */
export function processCpuSeconds(pid: number): number {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The command name (field 2) may hold spaces; the fields after its closing parenthesis do not.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  // utime and stime are fields 14 and 15 of the line, the 12th and 13th after the name.
  return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond;
}
