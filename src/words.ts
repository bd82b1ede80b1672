/**
 * Numbers in words, for every report and message: `12,345` and `1 run`, `2 runs`, `3 tries`.
 *
 * Not toLocaleString for whole numbers: its first call starts Intl, about 12-15 ms of CPU on the path from
 * the last result to the exit. The same digits, grouped by threes.
 */
export function count(n: number): string {
  if (!Number.isSafeInteger(n) || Object.is(n, -0)) return n.toLocaleString('en-US');
  return String(n).replace(/\B(?=(\d{3})+(?!\d))/g, ',');
}

/** `word` or `many` (`word` + s unless given) as `n` asks: `step` for 1, `steps` for 0 or 2. */
export function noun(n: number, word: string, many = `${word}s`): string {
  return n === 1 ? word : many;
}

/** `n`, counted, and its noun: `1 run`, `12,345 steps`, `2 tries`. */
export function plural(n: number, word: string, many = `${word}s`): string {
  return `${count(n)} ${noun(n, word, many)}`;
}
