import { unwritten } from './file.driver.js';

describe('unwritten', () => {
  const parts = [Buffer.from('abc'), Buffer.from('de'), Buffer.from('fgh')];
  const text = (buffers: Buffer[]) => Buffer.concat(buffers).toString();

  it('resumes a short writev inside a buffer', () => {
    expect(text(unwritten(parts, 1))).toBe('bcdefgh');
    expect(text(unwritten(parts, 4))).toBe('efgh');
  });

  it('resumes a short writev on a buffer boundary', () => {
    expect(unwritten(parts, 3).map(String)).toEqual(['de', 'fgh']);
    expect(text(unwritten(parts, 5))).toBe('fgh');
  });
});
