/**
 * Source locations: the one place that says what a site is and how it is written.
 * Lines and columns are 1-based everywhere.
 */

/** An instrumented await in the source, registered when its module loads. */
export interface Site {
  readonly id: number;
  /** The module's URL, as loaded. */
  readonly url: string;
  /** The path relative to the working directory at registration (absolute outside of it). */
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The source line, as written. */
  readonly text: string;
}

/** A source location in a report: 1-based line and column, and the line as written. */
export interface SiteRef {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  readonly text: string;
}

/** `file:line:column`; `file` may be replaced by a shorter name (a base name that is unambiguous in a report). */
export function formatSite(site: { readonly file: string; readonly line: number; readonly column: number }, file: string = site.file): string {
  return `${file}:${site.line}:${site.column}`;
}

export function toSiteRef(site: SiteRef): SiteRef {
  return { file: site.file, line: site.line, column: site.column, text: site.text };
}

/** Made once: lock sites capture stacks on the hot path of a cache miss. */
const asCallSites = (_error: Error, sites: NodeJS.CallSite[]): NodeJS.CallSite[] => sites;

/**
 * The call sites of the current stack above `skip`, innermost first, at most `limit` of them: read as V8's
 * CallSite objects, not as text, so a test runner that formats stacks its own way cannot change them.
 */
export function captureCallSites(skip: Function, limit: number): NodeJS.CallSite[] {
  const holder: { stack?: unknown } = {};
  const previousLimit = Error.stackTraceLimit;
  const prepare = Error.prepareStackTrace;
  Error.stackTraceLimit = limit;
  Error.prepareStackTrace = asCallSites;
  let stack: unknown;
  try {
    Error.captureStackTrace(holder, skip);
    // V8 prepares a stack when it is first read: read it while the call sites are what it prepares.
    stack = holder.stack;
  } finally {
    Error.prepareStackTrace = prepare;
    Error.stackTraceLimit = previousLimit;
  }
  return Array.isArray(stack) ? (stack as NodeJS.CallSite[]) : [];
}
