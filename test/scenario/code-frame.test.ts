import { describe, expect, it } from 'vitest';
import { formatCodeFrame } from '../../src/scenario/code-frame.js';

describe('formatCodeFrame', () => {
  const source = ['one', 'two', '\tthree(x)', 'four', 'five', 'six'].join('\n');

  it('shows the lines around a 1-based position with a caret under the column, tabs kept', () => {
    expect(formatCodeFrame(source, 3, 8)).toBe(['  1 | one', '  2 | two', '> 3 | \tthree(x)', '    | \t      ^', '  4 | four', '  5 | five'].join('\n'));
  });

  it('stays inside the file at its ends, and gives nothing for a line that is not there', () => {
    expect(formatCodeFrame(source, 1, 1)).toBe(['> 1 | one', '    | ^', '  2 | two', '  3 | \tthree(x)'].join('\n'));
    expect(formatCodeFrame(source, 9, 1)).toBeUndefined();
  });
});
