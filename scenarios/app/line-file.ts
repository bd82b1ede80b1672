import { open, readFile, writeFile } from 'node:fs/promises';

/**
 * Appends a multi-line entry the way seed article 002's `write_to_file` does: open the file for appending,
 * write, close. Each write lands at the end of the file at once, but the entry takes several writes, with
 * an await between them: another writer's lines can land in the middle of it.
 */
export async function appendEntry(file: string, lines: readonly string[]): Promise<void> {
  const handle = await open(file, 'a');
  try {
    for (const line of lines) await handle.write(`${line}\n`);
  } finally {
    await handle.close();
  }
}

/**
 * Adds a line by reading the whole file and writing it back with the line added (how a JSON or CSV file is
 * usually updated). Two calls that overlap both read the old content, and the second write drops the
 * first one's line.
 */
export async function addLine(file: string, line: string): Promise<void> {
  const content = await readFile(file, 'utf8');
  await writeFile(file, `${content}${line}\n`);
}

/** The file's lines, without the empty string after the last newline. */
export async function readLines(file: string): Promise<string[]> {
  const content = await readFile(file, 'utf8');
  return content === '' ? [] : content.replace(/\n$/, '').split('\n');
}
