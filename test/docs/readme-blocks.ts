/**
 * The README's testable code blocks. A block that claims something carries a marker, an HTML comment
 * (invisible on GitHub) on the line before it or standing alone:
 *
 *   <!-- readme-test {"write": "src/inventory.ts"} -->    the next code block is this file of the project
 *   <!-- readme-test {"run": "npx racecheck scenarios/inventory.ts", "exit": 1, "prints": ["…"]} -->
 *                                                        run it; its exit code, and text it must print
 *   <!-- readme-test {"run": "…", "exit": 1, "output": true} -->
 *                                                        and the next code block is (part of) its output
 *
 * `"in": "repo"` runs a command in this repository instead of the user's project the test builds.
 */
export interface WriteStep {
  readonly kind: 'write';
  readonly path: string;
  readonly content: string;
  readonly line: number;
}

export interface RunStep {
  readonly kind: 'run';
  readonly command: string;
  readonly in: 'repo' | 'project';
  readonly exit: number;
  readonly prints: readonly string[];
  /** Lines the output must contain in this order; `…` in a line stands for any text. */
  readonly output: readonly string[] | undefined;
  readonly env: Readonly<Record<string, string>>;
  readonly line: number;
}

export type Step = WriteStep | RunStep;

const MARKER = /^<!-- readme-test (\{.*\}) -->$/;
const FENCE = /^```/;

export function readmeSteps(markdown: string): Step[] {
  const lines = markdown.split('\n');
  const steps: Step[] = [];
  for (let i = 0; i < lines.length; i++) {
    const marker = MARKER.exec(lines[i]!);
    if (!marker) {
      if (lines[i]!.startsWith('<!-- readme-test')) throw new Error(`README.md:${i + 1}: a readme-test marker must be one line: <!-- readme-test {…} -->`);
      continue;
    }
    const spec = JSON.parse(marker[1]!) as {
      write?: string;
      run?: string;
      exit?: number;
      prints?: string[];
      output?: boolean;
      in?: 'repo' | 'project';
      env?: Record<string, string>;
    };
    const needsBlock = spec.write !== undefined || spec.output === true;
    let block: string[] | undefined;
    if (needsBlock) {
      if (!FENCE.test(lines[i + 1] ?? '')) throw new Error(`README.md:${i + 1}: a readme-test marker that needs a code block is not followed by one`);
      const end = lines.findIndex((line, index) => index > i + 1 && FENCE.test(line));
      if (end === -1) throw new Error(`README.md:${i + 2}: unterminated code block`);
      block = lines.slice(i + 2, end);
    }
    if (spec.write !== undefined) steps.push({ kind: 'write', path: spec.write, content: `${block!.join('\n')}\n`, line: i + 1 });
    else if (spec.run !== undefined) {
      steps.push({
        kind: 'run',
        command: spec.run,
        in: spec.in ?? 'project',
        exit: spec.exit ?? 0,
        prints: spec.prints ?? [],
        output: spec.output ? block : undefined,
        env: spec.env ?? {},
        line: i + 1,
      });
    } else throw new Error(`README.md:${i + 1}: a readme-test marker needs "write" or "run"`);
  }
  return steps;
}

/** Runs of spaces and of box-drawing rules vary with the terminal's width. */
function squash(line: string): string {
  return line.replace(/─+/g, '─').replace(/\s+/g, ' ').trim();
}

function pattern(text: string, whole: boolean): RegExp {
  const body = text
    .split('…')
    .map((part) => part.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'))
    .join('.*');
  return new RegExp(whole ? `^${body}$` : body);
}

/**
 * The first of `expected` that is not in `actual`, in order: whole lines (an output block) or text within
 * a line (`prints`). Runs of spaces are one space, and `…` stands for any text.
 */
export function missingLine(actual: string, expected: readonly string[], whole = true): string | undefined {
  const lines = actual.split('\n').map(squash);
  let at = 0;
  for (const wanted of expected.map(squash)) {
    if (wanted === '') continue;
    const wantedPattern = pattern(wanted, whole);
    const found = lines.findIndex((line, index) => index >= at && wantedPattern.test(line));
    if (found === -1) return wanted;
    at = found + 1;
  }
  return undefined;
}
