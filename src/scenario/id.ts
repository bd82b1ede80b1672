/**
 * A scenario's id, `<file>#<export>`: the file as racecheck shows it (relative to the working directory)
 * and the export that holds the scenario (under vitest, the test's name). Reports, replay tokens and
 * `--filter` carry it as one string; these two functions are the only places that build or split it.
 * A file that failed to load has the file alone as its id.
 */
export interface ScenarioId {
  readonly file: string;
  readonly exportName: string;
}

export function formatScenarioId(file: string, exportName: string): string {
  return `${file}#${exportName}`;
}

/**
 * The file and export of an id, or undefined when it is not `<file>#<export>` with both non-empty. A
 * file's path may hold a `#`, an export's name cannot: the last `#` is the separator.
 */
export function parseScenarioId(id: string): ScenarioId | undefined {
  const hash = id.lastIndexOf('#');
  if (hash <= 0 || hash === id.length - 1) return undefined;
  return { file: id.slice(0, hash), exportName: id.slice(hash + 1) };
}
