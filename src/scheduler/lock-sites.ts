/**
 * Where a lock was made or acquired (and, rarely, where one was released), read off a stack: the first
 * frame that is neither Node's nor racecheck's own, mapped through the module's source map (tsx keeps one
 * for every TypeScript module) and back over the columns racecheck's await rewrite shifted
 * (instrument/positions.ts), so a site is the line and column as written.
 *
 * A stack capture costs microseconds, several times a whole scheduling step, and a scenario's setup makes its
 * locks again in every run. So a search resolves construction sites through a `SiteCache` keyed by what the
 * run is doing (the code its current step resumed, and how many locks that step made before): the same
 * key in a later run is the same `new Lock()`; a capture reads the frame alone, and each place is mapped to
 * the source once. The cache checks itself: it captures the stack again at the
 * 2nd, 3rd, 4th, 8th, 16th, ... 256th time it sees a key, and a key that ever named two sites is captured every
 * time.
 */
import { readFileSync } from 'node:fs';
import { findSourceMap } from 'node:module';
import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { originalPosition } from '../instrument/positions.js';
import { displayPath } from '../paths.js';
import { captureCallSites, type SiteRef } from '../site.js';

/** A source location that names a lock: `key` is `file:line:column`, what a no-op variant names it by. */
export interface LockSite extends SiteRef {
  readonly key: string;
}

const ROOT = fileURLToPath(new URL('../../', import.meta.url));
/** racecheck's sources and build, and @racecheck/sync wherever it is installed or linked from. */
const OWN = [path.join(ROOT, 'src') + path.sep, path.join(ROOT, 'dist') + path.sep, path.join(ROOT, 'packages') + path.sep];
const OWN_PACKAGES = [`${path.sep}node_modules${path.sep}racecheck${path.sep}`, `${path.sep}node_modules${path.sep}@racecheck${path.sep}`];

const MAX_FRAMES = 12;

/** A position in the code as it runs (compiled, rewritten): what a stack frame says. */
interface Frame {
  readonly location: string;
  readonly line: number;
  readonly column: number;
}

/**
 * The first frame above `skip` that is the user's code (or a package's, when nothing else is), as a site;
 * null when the stack has none (a lock made by Node's internals alone).
 */
export function captureSite(skip: Function): LockSite | null {
  const frame = captureFrame(skip);
  return frame === null ? null : siteOf(frame);
}

/**
 * The first user frame above `skip`, unmapped. The frames are read as call sites, not formatted as text:
 * a test runner that formats stacks its own way (vitest does) cannot make them name the compiled code.
 */
function captureFrame(skip: Function): Frame | null {
  let fallback: Frame | null = null;
  for (const site of captureCallSites(skip, MAX_FRAMES)) {
    const location = site.getFileName();
    const line = site.getLineNumber();
    const column = site.getColumnNumber();
    if (!location || line === null || column === null) continue;
    const kind = classify(location);
    if (kind === 'user') return { location, line, column };
    if (kind === 'package') fallback ??= { location, line, column };
  }
  return fallback;
}

const kinds = new Map<string, 'user' | 'package' | 'other'>();

/** Whether a frame's file is the user's, a package's, or Node's or racecheck's own (which a site never names). */
function classify(location: string): 'user' | 'package' | 'other' {
  let kind = kinds.get(location);
  if (kind === undefined) {
    const file = /^(?:file:\/\/|\/|[A-Za-z]:[\\/])/.test(location) ? (location.startsWith('file:') ? safePath(location) : location) : undefined;
    kind = file === undefined || isOwnFile(file) ? 'other' : file.includes(`${path.sep}node_modules${path.sep}`) ? 'package' : 'user';
    kinds.set(location, kind);
  }
  return kind;
}

const mappedSites = new Map<string, LockSite>();

/** A frame's site as written; a position is mapped once (source map, rewrite shifts, source line) and remembered. */
function siteOf(frame: Frame): LockSite {
  const raw = rawKey(frame);
  let site = mappedSites.get(raw);
  if (!site) {
    site = mapped(frame.location, frame.line, frame.column);
    mappedSites.set(raw, site);
  }
  return site;
}

function rawKey(frame: Frame): string {
  return `${frame.location}:${frame.line}:${frame.column}`;
}

/**
 * A generated position as written: through the module's source map (tsx's, where Node keeps it), then back
 * over the columns racecheck's rewrite inserted (positions.ts knows which modules need that).
 */
function mapped(location: string, line: number, column: number): LockSite {
  const file = location.startsWith('file:') ? (safePath(location) ?? location) : location;
  let map: ReturnType<typeof findSourceMap> | undefined;
  try {
    map = findSourceMap(location) ?? (file !== location ? findSourceMap(file) : undefined);
  } catch {
    map = undefined;
  }
  const entry = map?.findEntry(line - 1, column - 1) as { originalSource?: string; originalLine?: number; originalColumn?: number } | undefined;
  if (entry?.originalSource !== undefined && entry.originalLine !== undefined && entry.originalColumn !== undefined) {
    const source = entry.originalSource.startsWith('file:') ? (safePath(entry.originalSource) ?? file) : path.isAbsolute(entry.originalSource) ? entry.originalSource : file;
    const original = originalPosition(location, entry.originalLine + 1, entry.originalColumn + 1);
    return toLockSite(source, original.line, original.column);
  }
  const original = originalPosition(location, line, column);
  return toLockSite(file, original.line, original.column);
}

function isOwnFile(file: string): boolean {
  return OWN.some((dir) => file.startsWith(dir)) || OWN_PACKAGES.some((dir) => file.includes(dir));
}

function toLockSite(file: string, line: number, column: number): LockSite {
  const shown = displayPath(file);
  return { file: shown, line, column, text: sourceLine(file, line), key: `${shown}:${line}:${column}` };
}

const sources = new Map<string, readonly string[] | null>();

/** The line as written, from the file on disk (read once); empty when it cannot be read. */
function sourceLine(file: string, line: number): string {
  let lines = sources.get(file);
  if (lines === undefined) {
    try {
      lines = readFileSync(file, 'utf8').split(/\r?\n/);
    } catch {
      lines = null;
    }
    sources.set(file, lines);
  }
  return lines?.[line - 1] ?? '';
}

function safePath(url: string): string | undefined {
  try {
    return fileURLToPath(url);
  } catch {
    return undefined;
  }
}

interface CacheEntry {
  site: LockSite | null;
  /** The frame it was read from, unmapped: a check compares only this. */
  raw: string | null;
  seen: number;
  /** False once two captures under this key named different places: it is captured every time from then on. */
  stable: boolean;
}

/** The last sighting of a key at which the cache checks what it remembers. */
const MAX_CHECKED = 256;

/**
 * Sites by the run's code key (see the module comment). One per scenario, shared by its searches (the
 * `--advise` variants too): keys name a scenario's code. `exact` captures at every sighting instead (the
 * no-op variants, whose runs must make the right locks no-ops every time).
 */
export class SiteCache {
  private readonly entries = new Map<number, CacheEntry>();
  /** Stack captures made (for the tests: the cache must keep them rare). */
  captures = 0;

  /** The site of the code that called `skip` now, under `key` (NaN: no key, capture). */
  resolve(key: number, skip: Function, exact = false): LockSite | null {
    if (Number.isNaN(key) || exact) return this.capture(skip)?.site ?? null;
    const entry = this.entries.get(key);
    if (entry === undefined) {
      const captured = this.capture(skip);
      this.entries.set(key, { site: captured?.site ?? null, raw: captured?.raw ?? null, seen: 1, stable: true });
      return captured?.site ?? null;
    }
    const seen = ++entry.seen;
    // Checked at the 2nd to 4th sighting, then at every power of two up to the 256th; every time once it
    // was wrong. Code that makes its lock on one line or another makes each often: a few checks see both.
    if (entry.stable && seen > 4 && (seen > MAX_CHECKED || (seen & (seen - 1)) !== 0)) return entry.site;
    const captured = this.capture(skip);
    if ((captured?.raw ?? null) !== entry.raw) {
      entry.stable = false;
      entry.raw = captured?.raw ?? null;
      entry.site = captured?.site ?? null;
    }
    return entry.site;
  }

  private capture(skip: Function): { raw: string; site: LockSite } | null {
    this.captures++;
    const frame = captureFrame(skip);
    return frame === null ? null : { raw: rawKey(frame), site: siteOf(frame) };
  }
}

const caches = new WeakMap<object, { readonly sites: SiteCache; readonly acquires: SiteCache }>();

/** The site caches of a scenario (its normalized object), made on first use. */
export function siteCachesOf(scenario: object): { readonly sites: SiteCache; readonly acquires: SiteCache } {
  let found = caches.get(scenario);
  if (!found) caches.set(scenario, (found = { sites: new SiteCache(), acquires: new SiteCache() }));
  return found;
}
