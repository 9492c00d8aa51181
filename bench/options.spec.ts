import { parseOptions } from './options.js';

describe('parseOptions', () => {
  it('applies the baseline defaults', () => {
    const o = parseOptions(['--url', 'http://127.0.0.1:9292/']);
    expect(o).toMatchObject({
      url: 'http://127.0.0.1:9292',
      connections: 16,
      durationSeconds: 10,
      warmupSeconds: 2,
      rounds: 1,
      seed: 2000,
      growth: [1000, 10000, 100000],
      tests: ['create', 'show', 'list25', 'list200', 'filtered', 'growth'],
    });
  });

  it('accepts only loopback servers and databases', () => {
    expect(() => parseOptions(['--url', 'http://10.0.0.1:9292'])).toThrow(/only loopback/);
    expect(() => parseOptions(['--url', 'http://127.0.0.1:1', '--ref-url', 'http://example.com'])).toThrow(
      /--ref-url: only loopback/,
    );
    expect(() =>
      parseOptions(['--url', 'http://localhost:1', '--database-url', 'postgres://u@db.example:5432/x']),
    ).toThrow(/--database-url: only loopback/);
    expect(parseOptions(['--url', 'http://[::1]:9292']).url).toBe('http://[::1]:9292');
  });

  it('bounds durations and counts and rejects unknown tests', () => {
    expect(() => parseOptions(['--url', 'http://127.0.0.1:1', '--duration', '3600'])).toThrow(/--duration/);
    expect(() => parseOptions(['--url', 'http://127.0.0.1:1', '--seed', '0'])).toThrow(/--seed/);
    expect(() => parseOptions(['--url', 'http://127.0.0.1:1', '--tests', 'upload'])).toThrow(
      /unknown test upload/,
    );
    expect(parseOptions(['--url', 'http://127.0.0.1:1', '--growth', '100000,1000']).growth).toEqual([
      1000, 100000,
    ]);
  });
});
