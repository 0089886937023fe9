/** One Dockerfile instruction, continuation lines joined. */
export interface Instruction {
  keyword: string;
  /** `--from=build` and the like, by name. */
  flags: Record<string, string>;
  /** The arguments after the flags: the JSON array of the exec form, else split on whitespace. */
  args: string[];
  line: number;
}

export interface Stage {
  name: string;
  /** The base image with global ARG defaults substituted: what a build without --build-arg uses. */
  base: string;
  /** The base image as written, e.g. `${RUNTIME_IMAGE}`. */
  baseAsWritten: string;
  instructions: Instruction[];
}

/** `${NAME}` and `$NAME` replaced by the defaults of the ARGs declared before the first FROM. */
function substituteArgs(text: string, args: ReadonlyMap<string, string>): string {
  return text.replace(/\$\{(\w+)\}|\$(\w+)/g, (whole, braced: string | undefined, bare: string | undefined) => args.get(braced ?? bare ?? '') ?? whole);
}

function parseInstruction(text: string, line: number): Instruction {
  const [keyword = '', ...rest] = text.trim().split(/\s+/);
  let remainder = text.trim().slice(keyword.length).trim();
  const flags: Record<string, string> = {};
  for (const token of rest) {
    const flag = /^--([a-z-]+)=(\S+)$/.exec(token);
    if (flag === null) break;
    flags[flag[1] ?? ''] = flag[2] ?? '';
    remainder = remainder.slice(token.length).trim();
  }
  const args = remainder.startsWith('[') ? (JSON.parse(remainder) as string[]) : remainder.split(/\s+/).filter((arg) => arg !== '');
  return { keyword: keyword.toUpperCase(), flags, args, line };
}

/**
 * The stages of a Dockerfile: enough of the syntax for the checks of this repository's one (comments,
 * `\` continuations, flags, exec-form JSON, ARGs before the first FROM); not heredocs or parser directives
 * other than comments.
 */
export function parseDockerfile(text: string): Stage[] {
  const stages: Stage[] = [];
  const globalArgs = new Map<string, string>();
  let pending = '';
  let startLine = 0;
  text.split('\n').forEach((raw, index) => {
    const line = raw.trimEnd();
    if (pending === '' && (line.trim() === '' || line.trim().startsWith('#'))) return;
    if (pending === '') startLine = index + 1;
    if (line.endsWith('\\')) {
      pending += `${line.slice(0, -1)} `;
      return;
    }
    const instruction = parseInstruction(pending + line, startLine);
    pending = '';
    if (instruction.keyword === 'FROM') {
      const [baseAsWritten = '', as, name] = instruction.args;
      const stageName = as?.toUpperCase() === 'AS' && name !== undefined ? name : String(stages.length);
      stages.push({ name: stageName, base: substituteArgs(baseAsWritten, globalArgs), baseAsWritten, instructions: [] });
      return;
    }
    if (instruction.keyword === 'ARG' && stages.length === 0) {
      for (const declaration of instruction.args) {
        const [argName = '', ...value] = declaration.split('=');
        globalArgs.set(argName, value.join('='));
      }
      return;
    }
    const stage = stages.at(-1);
    if (stage === undefined) throw new Error(`line ${startLine}: ${instruction.keyword} before FROM`);
    stage.instructions.push(instruction);
  });
  return stages;
}

/** The last value an instruction sets in a stage (WORKDIR, USER, ENTRYPOINT, CMD), if any. */
export function lastOf(stage: Stage, keyword: string): Instruction | undefined {
  return stage.instructions.filter((instruction) => instruction.keyword === keyword).at(-1);
}
