import { InvalidError } from '../common/errors/domain-errors.js';
import { listLinks, parseIsoTime, parseListQuery } from './list-query.js';

const limits = { default: 25, max: 1000 };

describe('parseListQuery', () => {
  it('defaults to created_at desc with id as tie-breaker and the default limit', () => {
    const q = parseListQuery('', limits);
    expect(q.limit).toBe(25);
    expect(q.sort).toEqual([
      { key: 'created_at', dir: 'desc' },
      { key: 'id', dir: 'desc' },
    ]);
    expect(q.memberStatus).toBe('accepted');
    expect(q.osHidden).toBe(false);
  });

  it('applies a single sort_dir to every key and to the tie-breakers', () => {
    const q = parseListQuery('sort_key=name&sort_key=size&sort_dir=asc', limits);
    expect(q.sort.map((s) => `${s.key}:${s.dir}`)).toEqual([
      'name:asc',
      'size:asc',
      'created_at:asc',
      'id:asc',
    ]);
  });

  it('reads the new syntax with a default direction of desc', () => {
    const q = parseListQuery('sort=name:asc,status', limits);
    expect(q.sort.map((s) => `${s.key}:${s.dir}`)).toEqual([
      'name:asc',
      'status:desc',
      'created_at:asc',
      'id:asc',
    ]);
  });

  it('splits in: lists with quoted commas and keeps ISO timestamps whole', () => {
    const q = parseListQuery(
      'name=in:"glass, darkly",share%20me&created_at=2020-01-01T10:00:00%2B02:00',
      limits,
    );
    expect(q.conditions).toEqual([
      { kind: 'in', column: 'name', values: ['glass, darkly', 'share me'] },
      { kind: 'time', column: 'created_at', op: '=', value: new Date('2020-01-01T08:00:00Z') },
    ]);
  });

  it('turns unknown keys into property filters and caps the limit', () => {
    const q = parseListQuery('os_distro=ubuntu&limit=5000', limits);
    expect(q.properties).toEqual([{ name: 'os_distro', value: 'ubuntu' }]);
    expect(q.limit).toBe(1000);
  });

  it('refuses bad input with InvalidError', () => {
    for (const bad of [
      'limit=a',
      'limit=-2',
      'sort_key=x',
      'sort_dir=x',
      'visibility=x',
      'name=gt:a',
      'size_min=a',
    ]) {
      expect(() => parseListQuery(bad, limits)).toThrow(InvalidError);
    }
  });
});

describe('parseIsoTime', () => {
  it('accepts partial dates and offsets, and refuses impossible ones', () => {
    expect(parseIsoTime('2020')?.toISOString()).toBe('2020-01-01T00:00:00.000Z');
    expect(parseIsoTime('2020-06-01T12:30Z')?.toISOString()).toBe('2020-06-01T12:30:00.000Z');
    expect(parseIsoTime('2020-02-31')).toBeNull();
    expect(parseIsoTime('yesterday')).toBeNull();
  });
});

describe('listLinks', () => {
  it('encodes like Python urlencode and appends the marker last', () => {
    const q = parseListQuery('marker=m1&sort=name:asc&tag=a&tag=b&name=a b', limits);
    expect(listLinks(q, 'm2')).toEqual({
      first: '/v2/images?sort=name%3Aasc&tag=a&tag=b&name=a+b',
      next: '/v2/images?sort=name%3Aasc&tag=a&tag=b&name=a+b&marker=m2',
    });
    expect(listLinks(parseListQuery('', limits), undefined)).toEqual({ first: '/v2/images' });
  });
});
