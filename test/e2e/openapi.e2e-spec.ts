import { readFileSync } from 'node:fs';
import { openApiJson } from '../../src/cli/openapi.js';

describe('openapi.json', () => {
  it('matches the API; run `npm run openapi` and commit the result when this fails', async () => {
    const committed = readFileSync(new URL('../../openapi.json', import.meta.url), 'utf8');
    expect(JSON.parse(committed)).toEqual(JSON.parse(await openApiJson()));
  });
});
