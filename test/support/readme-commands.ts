/**
 * The shell commands of a Markdown document, as a user copies them: the lines of its ```sh blocks with their
 * `\` continuations joined, split into words as a POSIX shell does for the quoting the README uses (single
 * and double quotes, `#` comments). Nothing is expanded: a README command with `$VAR` or `$(…)` is refused.
 */
export function shellCommands(markdown: string): string[][] {
  const commands: string[][] = [];
  for (const block of markdown.matchAll(/^```(?:sh|bash|shell)\n([\s\S]*?)^```$/gm)) {
    const lines = (block[1] ?? '').replace(/\\\n\s*/g, ' ').split('\n');
    for (const line of lines) {
      const words = shellWords(line);
      if (words.length > 0) commands.push(words);
    }
  }
  return commands;
}

/** The mark on the line before a command block that a cluster test runs: `<!-- test:cluster MODE NAME -->`. */
export interface BlockMarker {
  /** `run`: every command runs; `dry-run`: helm's installs and upgrades run as a server-side dry run. */
  readonly mode: string;
  readonly name: string;
}

/** A ```sh block of a Markdown document: its mark, if any, and its commands as a shell reads them. */
export interface CommandBlock {
  readonly marker: BlockMarker | undefined;
  /** One command a line, `\` continuations joined, comment lines left out; unparsed, for a shell to run. */
  readonly commands: string[];
}

/** Every ```sh block, in order, with the invisible mark (an HTML comment) right before its fence. */
export function commandBlocks(markdown: string): CommandBlock[] {
  return [...markdown.matchAll(/(?:^<!-- test:cluster (\S+) (\S+) -->\n)?^```(?:sh|bash|shell)\n([\s\S]*?)^```$/gm)].map((block) => {
    const [, mode, name, body = ''] = block;
    const commands = body.replace(/\\\n\s*/g, ' ').split('\n').filter((line) => line.trim() !== '' && !line.trimStart().startsWith('#'));
    return { marker: mode === undefined || name === undefined ? undefined : { mode, name }, commands };
  });
}

/** The inline code spans of a Markdown document (`…`), e.g. the `--set …` fragments a paragraph suggests. */
export function inlineCode(markdown: string): string[] {
  const withoutBlocks = markdown.replace(/^```[\s\S]*?^```$/gm, '');
  return [...withoutBlocks.matchAll(/`([^`\n]+)`/g)].map((match) => match[1] ?? '');
}

export function shellWords(line: string): string[] {
  const words: string[] = [];
  let word = '';
  let inWord = false;
  let quote: '"' | "'" | undefined;
  for (const char of line) {
    if (quote !== undefined) {
      if (char === quote) quote = undefined;
      else if (quote === '"' && (char === '$' || char === '`')) throw new Error(`a README command must not need expansion: ${line}`);
      else word += char;
      continue;
    }
    if (char === "'" || char === '"') {
      quote = char;
      inWord = true;
    } else if (char === '#' && !inWord) {
      break;
    } else if (/\s/.test(char)) {
      if (inWord) words.push(word);
      word = '';
      inWord = false;
    } else {
      if (char === '$' || char === '`' || char === '\\') throw new Error(`a README command must not need expansion: ${line}`);
      word += char;
      inWord = true;
    }
  }
  if (quote !== undefined) throw new Error(`unterminated ${quote} in: ${line}`);
  if (inWord) words.push(word);
  return words;
}
