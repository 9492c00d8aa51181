import { compileSchema } from './json-schema.js';
import { pyRepr } from './python-repr.js';

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
    },
    additionalProperties: { type: 'string' },
  });

  it('passes valid objects', () => {
    expect(check({ a: 1, b: null, tags: ['abc'], other: 'v' })).toBeNull();
  });

  it('reports jsonschema-style messages, shallowest error first', () => {
    expect(check({ a: 'x' })).toBe("'x' is not of type 'integer'");
    expect(check({ b: 'y' })).toBe("'y' is not one of [None, 'x']");
    expect(check({ b: 1 })).toBe("1 is not of type 'null', 'string'");
    expect(check({ tags: ['abcd'] })).toBe("'abcd' is too long");
    expect(check({ tags: ['abcd'], other: 2 })).toBe("2 is not of type 'string'");
  });

  it('counts code points, not UTF-16 units, for lengths', () => {
    expect(check({ tags: ['😀😀😀'] })).toBeNull();
  });
});
