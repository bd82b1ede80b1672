import { describe, expect, it } from 'vitest';
import { createMessageReader, encodeMessage, type FromChild } from '../../src/cli/protocol.js';

describe('the child channel', () => {
  it('reads messages however the bytes are cut, and tells stray lines apart', () => {
    const messages: FromChild[] = [];
    const stray: string[] = [];
    const read = createMessageReader<FromChild>((message) => messages.push(message), (line) => stray.push(line));
    const text = encodeMessage({ type: 'start', id: 'a.ts#x — ünïcode' }) + 'written by a scenario\n' + encodeMessage({ type: 'done' });
    const bytes = Buffer.from(text);
    // One byte at a time: a character split across chunks must come out whole.
    for (let i = 0; i < bytes.length; i++) read(bytes.subarray(i, i + 1));
    expect(messages).toEqual([{ type: 'start', id: 'a.ts#x — ünïcode' }, { type: 'done' }]);
    expect(stray).toEqual(['written by a scenario']);
  });
});
