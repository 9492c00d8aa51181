import { position } from './legacy-locations.service.js';

describe('location positions in PATCH paths', () => {
  it('adding: an index up to the end (clamped beyond it) or - for the end', () => {
    expect(position('0', 2, true)).toBe(0);
    expect(position('2', 2, true)).toBe(2);
    expect(position('9', 2, true)).toBe(2);
    expect(position('-', 2, true)).toBe(2);
    expect(position('-', 0, true)).toBe(0);
    for (const bad of ['x', '-1', '1.5', '', ' 1']) expect(position(bad, 2, true)).toBeNull();
  });

  it('removing: an existing index, or - for the last', () => {
    expect(position('0', 2, false)).toBe(0);
    expect(position('1', 2, false)).toBe(1);
    expect(position('-', 2, false)).toBe(1);
    expect(position('2', 2, false)).toBeNull();
    expect(position('-', 0, false)).toBeNull();
    expect(position('x', 2, false)).toBeNull();
  });
});
