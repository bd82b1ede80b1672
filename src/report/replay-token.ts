import { deflateRawSync, inflateRawSync } from 'node:zlib';

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
}

export class ReplayTokenError extends Error {
  readonly code = 'RACECHECK_REPLAY_TOKEN';
  constructor(message: string) {
    super(message);
    this.name = 'ReplayTokenError';
  }
}

const FORMAT_VERSION = 1;

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
  return `${FORMAT_VERSION}.${deflateRawSync(Uint8Array.from(bytes)).toString('base64url')}`;
}

export function decodeReplayToken(token: string): ReplayRecipe {
  const match = /^(\d+)\.([A-Za-z0-9_-]+)$/.exec(token.trim());
  if (!match) throw new ReplayTokenError('not a replay token: expected <version>.<data>, as racecheck prints it');
  if (Number(match[1]) !== FORMAT_VERSION) {
    throw new ReplayTokenError(`replay token format ${match[1]} is not supported by this racecheck (it reads format ${FORMAT_VERSION})`);
  }
  let bytes: Uint8Array;
  try {
    bytes = inflateRawSync(Buffer.from(match[2]!, 'base64url'));
  } catch {
    throw new ReplayTokenError('the replay token is damaged (it does not decompress); copy it again in full');
  }
  const reader = { bytes, offset: 0 };
  try {
    const seed = readVarint(reader);
    const id = readString(reader);
    const strategy = readString(reader);
    const length = readVarint(reader);
    const choices = Array.from({ length }, () => readVarint(reader));
    const counts = Array.from({ length }, () => readVarint(reader));
    if (reader.offset !== bytes.length) throw new RangeError('trailing bytes');
    return { id, strategy, seed, choices, counts };
  } catch {
    throw new ReplayTokenError('the replay token is damaged (its contents do not parse); copy it again in full');
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

function readVarint(reader: { bytes: Uint8Array; offset: number }): number {
  let value = 0;
  let scale = 1;
  for (;;) {
    const byte = reader.bytes[reader.offset++];
    if (byte === undefined) throw new RangeError('truncated');
    value += (byte & 0x7f) * scale;
    if (byte < 0x80) return value;
    scale *= 0x80;
  }
}

function readString(reader: { bytes: Uint8Array; offset: number }): string {
  const length = readVarint(reader);
  if (reader.offset + length > reader.bytes.length) throw new RangeError('truncated');
  const text = Buffer.from(reader.bytes.subarray(reader.offset, reader.offset + length)).toString('utf8');
  reader.offset += length;
  return text;
}
