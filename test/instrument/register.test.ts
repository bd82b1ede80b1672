import { describe, expect, it, vi } from 'vitest';

// Node's module.register() throws here, as it does when the hooks thread cannot start or a hook's
// initialize throws: the installation stops part-way.
vi.mock('node:module', async (importOriginal) => {
  const actual = await importOriginal<typeof import('node:module')>();
  return {
    ...actual,
    register: () => {
      throw new Error('the hooks thread did not start');
    },
  };
});

describe('installInstrumentation when installing the hooks fails', () => {
  it('says why, then and at every later call, instead of loading without the hooks', async () => {
    const { installInstrumentation, InstrumentationError } = await import('../../src/instrument/register.js');
    const options = { cwd: process.cwd() };
    expect(() => installInstrumentation(options)).toThrow(InstrumentationError);
    expect(() => installInstrumentation(options)).toThrow('installing the module hooks failed: the hooks thread did not start');
  });
});
