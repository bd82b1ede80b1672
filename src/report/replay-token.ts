import { deflateRawSync, inflateRawSync } from 'node:zlib';
import { RacecheckError } from '../errors.js';
import { parseScenarioId } from '../scenario/id.js';
import type { Schedule } from '../scheduler/strategies/replay.js';
import { plural } from '../words.js';

/** Everything needed to rerun one recorded schedule. */
export interface ReplayRecipe {
  /** The scenario's id: `<file>#<export>`. */
  readonly id: string;
  /** The strategy that produced the schedule (for the record; a replay follows the choices). */
  readonly strategy: string;
  /** The run's own seed: it seeds Math.random in the replayed run. */
  readonly seed: number;
  readonly choices: readonly number[];
  readonly counts: readonly number[];
  /** Lock construction sites made no-ops (the lock advisor's variant without them); absent or empty for the program as written. */
  readonly bypass?: readonly string[];
  /** The step from which the recorded run fired timers an earlier run of its process had left pending (Schedule.carriedFrom). */
  readonly carriedFrom?: number;
}

/** The schedule a token recorded, as a replay follows it. */
export function recordedSchedule(recipe: ReplayRecipe): Schedule {
  return { choices: recipe.choices, counts: recipe.counts, ...(recipe.carriedFrom === undefined ? {} : { carriedFrom: recipe.carriedFrom }) };
}

export class ReplayTokenError extends RacecheckError {
  constructor(message: string) {
    super('RACECHECK_REPLAY_TOKEN', message);
  }
}

const FORMAT_VERSION = 1;

/**
 * The longest schedule a token carries, and so the largest `--max-steps` (a longer run could not be
 * replayed). Every count in a token is checked against these bounds before anything is allocated: a token
 * is input, and a crafted one must cost no more than a real one.
 */
export const MAX_SCHEDULE_STEPS = 1_000_000;
/** A token's text, at most: far above what a shell passes as one argument (128 KiB on Linux). */
export const MAX_TOKEN_LENGTH = 1 << 20;
const MAX_ID_BYTES = 4096;
const MAX_STRATEGY_BYTES = 64;
const MAX_UINT32 = 2 ** 32 - 1;
/** Lock construction sites a variant of the lock advisor makes no-ops: one today; a few leave room. */
const MAX_BYPASS_SITES = 16;
const MAX_SITE_BYTES = MAX_ID_BYTES + 32;
/**
 * The decoded payload's size for the longest schedule: a seed, two strings, a length, two varints a step,
 * and the optional tail: the no-op lock sites and the step of an earlier run's first timer.
 */
const MAX_PAYLOAD_BYTES = 5 + (5 + MAX_ID_BYTES) + (5 + MAX_STRATEGY_BYTES) + 5 + MAX_SCHEDULE_STEPS * 2 * 5 + 5 + MAX_BYPASS_SITES * (5 + MAX_SITE_BYTES) + 5;

/**
 * `<version>.<base64url(deflate(payload))>`: only URL-safe characters, so it pastes into a shell, a URL or
 * a CI log unquoted. The payload is binary: the seed, two short strings and the choices and candidate
 * counts as varints, which deflate shrinks further (schedules repeat themselves).
 */
export function encodeReplayToken(recipe: ReplayRecipe): string {
  const bytes: number[] = [];
  writeVarint(bytes, recipe.seed);
  writeString(bytes, recipe.id);
  writeString(bytes, recipe.strategy);
  writeVarint(bytes, recipe.choices.length);
  for (const choice of recipe.choices) writeVarint(bytes, choice);
  for (const count of recipe.counts) writeVarint(bytes, count);
  // An optional tail, so tokens of the program as written stay what they were: the no-op lock sites, then
  // the step the recorded run first fired an earlier run's timer at (after a count of 0 sites if none).
  const bypass = recipe.bypass ?? [];
  if (bypass.length > 0 || recipe.carriedFrom !== undefined) {
    writeVarint(bytes, bypass.length);
    for (const site of bypass) writeString(bytes, site);
  }
  if (recipe.carriedFrom !== undefined) writeVarint(bytes, recipe.carriedFrom);
  return `${FORMAT_VERSION}.${deflateRawSync(Uint8Array.from(bytes)).toString('base64url')}`;
}

/**
 * Decodes a token into data and checks every field; it never evaluates anything. What the id names is
 * checked by the caller against the file system (see cli/replay.ts) before any module is imported.
 */
export function decodeReplayToken(token: string): ReplayRecipe {
  const text = token.trim();
  if (text.length > MAX_TOKEN_LENGTH) {
    throw new ReplayTokenError(`the replay token is too long (${text.length.toLocaleString('en-US')} characters; racecheck prints at most ${MAX_TOKEN_LENGTH.toLocaleString('en-US')})`);
  }
  const match = /^(\d{1,6})\.([A-Za-z0-9_-]+)$/.exec(text);
  if (!match) throw new ReplayTokenError('not a replay token: expected <version>.<data>, as racecheck prints it');
  if (Number(match[1]) !== FORMAT_VERSION) {
    throw new ReplayTokenError(`replay token format ${match[1]} is not supported by this racecheck (it reads format ${FORMAT_VERSION})`);
  }
  let bytes: Uint8Array;
  try {
    bytes = inflateRawSync(Buffer.from(match[2]!, 'base64url'), { maxOutputLength: MAX_PAYLOAD_BYTES });
  } catch (error) {
    if ((error as { code?: unknown }).code === 'ERR_BUFFER_TOO_LARGE') {
      throw new ReplayTokenError(`the replay token decompresses to more than ${MAX_PAYLOAD_BYTES.toLocaleString('en-US')} bytes, more than any schedule racecheck records`);
    }
    throw new ReplayTokenError('the replay token is damaged (it does not decompress); copy it again in full');
  }
  const reader = new Reader(bytes);
  const seed = reader.varint('seed');
  const id = reader.string('scenario id', MAX_ID_BYTES);
  const strategy = reader.string('strategy', MAX_STRATEGY_BYTES);
  const length = reader.varint('schedule length');
  if (length > MAX_SCHEDULE_STEPS) throw damaged(`its schedule has ${length} steps, more than the ${MAX_SCHEDULE_STEPS.toLocaleString('en-US')} racecheck records`);
  // Two varints a step, at least a byte each: a length the payload cannot hold is refused before allocating.
  if (length * 2 > reader.remaining) throw damaged('its schedule is shorter than it says');
  const choices = new Array<number>(length);
  for (let i = 0; i < length; i++) choices[i] = reader.varint('choice');
  const counts = new Array<number>(length);
  for (let i = 0; i < length; i++) {
    const count = reader.varint('candidate count');
    if (count < 1 || choices[i]! >= count) throw damaged(`step ${i + 1} chooses candidate ${choices[i]} of ${count}`);
    counts[i] = count;
  }
  // The optional tail: construction sites whose locks the replayed variant makes no-ops, then the step
  // from which the recorded run fired timers an earlier run had left (then the sites may be none).
  const bypass: string[] = [];
  let carriedFrom: number | undefined;
  if (reader.remaining !== 0) {
    const sites = reader.varint('count of no-op locks');
    if (sites > MAX_BYPASS_SITES) throw damaged(`it makes ${sites} locks no-ops, more than ${MAX_BYPASS_SITES}`);
    for (let i = 0; i < sites; i++) bypass.push(reader.string('no-op lock site', MAX_SITE_BYTES));
    if (reader.remaining !== 0) {
      carriedFrom = reader.varint('step of an earlier run\'s timer');
      if (carriedFrom < 1 || carriedFrom > length) throw damaged(`it says an earlier run's timer fired at step ${carriedFrom}, outside its schedule of ${plural(length, 'step')}`);
    } else if (sites === 0) throw damaged('it makes 0 locks no-ops');
  }
  if (reader.remaining !== 0) throw damaged('it has bytes after the schedule');
  if (!/^[\w:.-]+$/.test(strategy)) throw damaged(`its strategy name ${JSON.stringify(strategy)} is not one racecheck writes`);
  if (parseScenarioId(id) === undefined || id.includes('\0')) throw damaged(`its scenario id ${JSON.stringify(id)} is not <file>#<export>`);
  return { id, strategy, seed, choices, counts, ...(bypass.length > 0 ? { bypass } : {}), ...(carriedFrom === undefined ? {} : { carriedFrom }) };
}

function damaged(reason: string): ReplayTokenError {
  return new ReplayTokenError(`the replay token is damaged (${reason}); copy it again in full`);
}

class Reader {
  private offset = 0;

  constructor(private readonly bytes: Uint8Array) {}

  get remaining(): number {
    return this.bytes.length - this.offset;
  }

  /** An unsigned 32-bit varint: at most five bytes. */
  varint(what: string): number {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 5; i++) {
      const byte = this.bytes[this.offset++];
      if (byte === undefined) throw damaged(`it ends inside the ${what}`);
      value += (byte & 0x7f) * scale;
      if (byte < 0x80) {
        if (value > MAX_UINT32) break;
        return value;
      }
      scale *= 0x80;
    }
    throw damaged(`its ${what} is out of range`);
  }

  string(what: string, maxBytes: number): string {
    const length = this.varint(`${what}'s length`);
    if (length > maxBytes) throw damaged(`its ${what} is ${length} bytes long, more than ${maxBytes}`);
    if (length > this.remaining) throw damaged(`it ends inside the ${what}`);
    const slice = this.bytes.subarray(this.offset, this.offset + length);
    this.offset += length;
    try {
      return new TextDecoder('utf-8', { fatal: true }).decode(slice);
    } catch {
      throw damaged(`its ${what} is not UTF-8 text`);
    }
  }
}

function writeVarint(out: number[], value: number): void {
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 0x80) | 0x80);
    rest = Math.floor(rest / 0x80);
  }
  out.push(rest);
}

function writeString(out: number[], text: string): void {
  const encoded = Buffer.from(text, 'utf8');
  writeVarint(out, encoded.length);
  for (const byte of encoded) out.push(byte);
}
