/**
 * The lines around a position in a source file, with a caret under the column, the way compilers show a
 * syntax error. Lines and columns are 1-based.
 */
export function formatCodeFrame(source: string, line: number, column: number, context = 2): string | undefined {
  const lines = source.split(/\r?\n/);
  const target = lines[line - 1];
  if (target === undefined || line < 1) return undefined;
  const first = Math.max(1, line - context);
  const last = Math.min(lines.length, line + context);
  const width = String(last).length;
  const out: string[] = [];
  for (let n = first; n <= last; n++) {
    const text = clip(lines[n - 1]!);
    out.push(`${n === line ? '>' : ' '} ${String(n).padStart(width)} | ${text}`.trimEnd());
    if (n === line) {
      // Tabs stay tabs so that the caret lines up however the terminal renders them.
      const before = target.slice(0, Math.max(0, Math.min(column - 1, 200))).replace(/[^\t]/g, ' ');
      out.push(`  ${' '.repeat(width)} | ${before}^`);
    }
  }
  return out.join('\n');
}

function clip(text: string): string {
  return text.length > 200 ? `${text.slice(0, 199)}…` : text;
}
