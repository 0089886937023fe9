import { readdirSync, readFileSync } from 'node:fs';

/** Pids of the direct children of `parentPid`, read from /proc (Linux). */
export function listChildPids(parentPid: number): number[] {
  const children: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = readStat(Number(entry));
    if (stat?.parentPid === parentPid) children.push(Number(entry));
  }
  return children;
}

/** True while the process exists and is not a zombie waiting to be reaped. */
export function isLiveProcess(pid: number): boolean {
  const stat = readStat(pid);
  return stat !== undefined && stat.state !== 'Z' && stat.state !== 'X';
}

interface ProcessStat {
  readonly state: string;
  readonly parentPid: number;
}

function readStat(pid: number): ProcessStat | undefined {
  let stat: string;
  try {
    stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  } catch {
    return undefined;
  }
  // "pid (command) state ppid ...": the command may itself contain spaces and parentheses.
  const [state, parentPid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  return state === undefined || parentPid === undefined ? undefined : { state, parentPid: Number(parentPid) };
}
