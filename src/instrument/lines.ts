/**
 * Lines as JavaScript counts them: `\n`, `\r\n`, a lone `\r`, U+2028 and U+2029 each end a line. V8 numbers
 * the lines of stack traces this way, so sites and column-shift tables use the same count, and a source
 * with CR-only line ends or a U+2028 inside a string literal still gets the lines its stack traces show.
 * Offsets and columns are in UTF-16 code units, as oxc-parser's spans and V8's columns are.
 */

const LINE_TERMINATOR = /\r\n?|[\n\u2028\u2029]/g;

export interface LineIndex {
  /** Offset of the first character of each line; `starts[0]` is 0. */
  readonly starts: readonly number[];
  /** 1-based line and column of an offset. */
  positionOf(offset: number): { line: number; column: number };
  /** A 1-based line's text, without its terminator. */
  textOf(line: number): string;
}

export function createLineIndex(source: string): LineIndex {
  const starts = [0];
  const ends: number[] = [];
  for (const match of source.matchAll(LINE_TERMINATOR)) {
    ends.push(match.index);
    starts.push(match.index + match[0].length);
  }
  ends.push(source.length);
  return {
    starts,
    positionOf(offset) {
      let low = 0;
      let high = starts.length - 1;
      while (low < high) {
        const mid = (low + high + 1) >> 1;
        if ((starts[mid] ?? 0) <= offset) low = mid;
        else high = mid - 1;
      }
      return { line: low + 1, column: offset - (starts[low] ?? 0) + 1 };
    },
    textOf(line) {
      const start = starts[line - 1];
      return start === undefined ? '' : source.slice(start, ends[line - 1]);
    },
  };
}

/** How many lines a text has, counted as JavaScript counts them. */
export function countLines(source: string): number {
  let count = 1;
  for (const _ of source.matchAll(LINE_TERMINATOR)) count += 1;
  return count;
}
