import { resolveRange } from './image-data.service.js';

const SIZE = 10240;

/** What Glance 25 answered for the same headers on an image of 10240 bytes. */
function outcome(range: string | undefined, contentRange: string | undefined): string {
  try {
    const r = resolveRange(range, contentRange, SIZE);
    return r ? `${r.start}-${r.end}` : 'whole';
  } catch (err) {
    return (err as Error).message;
  }
}

describe('resolveRange', () => {
  it.each([
    ['bytes=0-9', '0-9'],
    ['bytes=5-5', '5-5'],
    ['bytes=-0', '0-10239'],
    ['bytes=-5', '10235-10239'],
    ['bytes=-99999', '0-10239'],
    ['bytes=10239-', '10239-10239'],
    ['bytes=0-99999', '0-10239'],
    ['bytes=5-2', 'Invalid Range header.'],
    ['bytes=abc', 'Invalid Range header.'],
    ['bytes=', 'Invalid Range header.'],
    ['bytes=-', 'Invalid Range header.'],
    [
      'bytes=10240-',
      'Invalid start position in Range header. Start position MUST be in the inclusive range [0, 10239].',
    ],
    [
      'bytes=20000-30000',
      'Invalid start position in Range header. Start position MUST be in the inclusive range [0, 10239].',
    ],
  ])('Range %s → %s', (range, expected) => {
    expect(outcome(range, undefined)).toBe(expected);
  });

  it.each([
    ['bytes 0-9/*', '0-9'],
    ['bytes 0-10239/*', '0-10239'],
    ['bytes 0-99999/200000', '0-10239'],
    [
      'bytes 0-10240/*',
      'Invalid stop position in Content-Range header. The stop position MUST be in the inclusive range [0, 10239].',
    ],
    [
      'bytes 20000-30000/*',
      'Invalid stop position in Content-Range header. The stop position MUST be in the inclusive range [0, 10239].',
    ],
    [
      'bytes 20000-30000/40000',
      'Invalid start position in Content-Range header. Start position MUST be in the inclusive range [0, 10239].',
    ],
    ['bytes 5-2/*', 'Invalid Content-Range header.'],
    ['bytes 0-10239/100', 'Invalid Content-Range header.'],
    ['bytes */10', 'Invalid Content-Range header.'],
    ['junk', 'Invalid Content-Range header.'],
  ])('legacy Content-Range %s → %s', (contentRange, expected) => {
    expect(outcome(undefined, contentRange)).toBe(expected);
  });

  it('refuses several ranges, and reads Range before Content-Range', () => {
    expect(outcome('bytes=1-2,3-4', undefined)).toMatch(/^Requests with multiple ranges are not supported/);
    expect(outcome('bytes=0-1', 'bytes 5-9/*')).toBe('0-1');
    expect(outcome(undefined, undefined)).toBe('whole');
  });
});
