import { compileSchema } from './json-schema.js';
import { pyRepr } from '../common/python-repr.js';

describe('pyRepr', () => {
  it('prints values as Python does', () => {
    expect(pyRepr(null)).toBe('None');
    expect(pyRepr(true)).toBe('True');
    expect(pyRepr(1.5)).toBe('1.5');
    expect(pyRepr("it's")).toBe(`"it's"`);
    expect(pyRepr('a\nb')).toBe("'a\\nb'");
    expect(pyRepr([null, 'x', { k: 1 }])).toBe("[None, 'x', {'k': 1}]");
  });
});

describe('compileSchema', () => {
  const check = compileSchema({
    properties: {
      a: { type: 'integer' },
      b: { type: ['null', 'string'], enum: [null, 'x'] },
      tags: { type: 'array', items: { type: 'string', maxLength: 3 } },
      n: { type: 'number', exclusiveMinimum: 0, multipleOf: 0.5, maximum: 10 },
      code: { type: 'string', pattern: '^[A-Z]{2}$' },
    },
    additionalProperties: { type: 'string' },
  });
  const first = (v: unknown) => check(v)?.split('\n\n')[0];

  it('passes valid objects', () => {
    expect(check({ a: 1, b: null, tags: ['abc'], other: 'v', n: 2.5, code: 'AB' })).toBeNull();
  });

  it('reports jsonschema-style messages, shallowest error first', () => {
    expect(first({ a: 'x' })).toBe("'x' is not of type 'integer'");
    expect(first({ b: 'y' })).toBe("'y' is not one of [None, 'x']");
    expect(first({ b: 1 })).toBe("1 is not of type 'null', 'string'");
    expect(first({ tags: ['abcd'] })).toBe("'abcd' is too long");
    expect(first({ tags: ['abcd'], other: 2 })).toBe("2 is not of type 'string'");
    expect(first({ n: 0 })).toBe('0 is less than or equal to the minimum of 0');
    expect(first({ n: 0.3 })).toBe('0.3 is not a multiple of 0.5');
    expect(first({ n: 11 })).toBe('11 is greater than the maximum of 10');
    expect(first({ code: 'ABC' })).toBe("'ABC' does not match '^[A-Z]{2}$'");
  });

  it('adds the failing schema and instance as python-jsonschema prints them', () => {
    expect(check({ tags: ['ok', 7] })).toBe(
      "7 is not of type 'string'\n\n" +
        "Failed validating 'type' in schema['properties']['tags']['items']:\n" +
        "    {'maxLength': 3, 'type': 'string'}\n\n" +
        "On instance['tags'][1]:\n" +
        '    7',
    );
  });

  it('counts code points, not UTF-16 units, for lengths', () => {
    expect(check({ tags: ['😀😀😀'] })).toBeNull();
  });
});
