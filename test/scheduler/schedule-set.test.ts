import { describe, expect, it } from 'vitest';
import { ScheduleSet } from '../../src/scheduler/schedule-set.js';

describe('ScheduleSet', () => {
  it('counts distinct hashes through growth, and forgets deleted ones', () => {
    const set = new ScheduleSet();
    const hashes = Array.from({ length: 5000 }, (_, i) => (i * 2654435761) % 2 ** 52);
    for (const hash of hashes) expect(set.add(hash)).toBe(true);
    for (const hash of hashes) expect(set.add(hash)).toBe(false);
    expect(set.size).toBe(5000);
    for (const hash of hashes.slice(0, 2500)) set.delete(hash);
    expect(set.size).toBe(2500);
    for (const hash of hashes.slice(2500)) expect(set.add(hash)).toBe(false);
    for (const hash of hashes.slice(0, 2500)) expect(set.add(hash)).toBe(true);
    expect(set.size).toBe(5000);
  });

  it('holds zero, which marks an empty slot inside', () => {
    const set = new ScheduleSet();
    expect(set.add(0)).toBe(true);
    expect(set.add(0)).toBe(false);
    set.delete(0);
    expect(set.size).toBe(0);
  });
});
