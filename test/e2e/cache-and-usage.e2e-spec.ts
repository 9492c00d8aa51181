import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { as } from '../support/images.js';

/**
 * The two discovery corners of Glance that Glint answers without the feature behind them: usage
 * against Keystone unified limits (off) and the cache API (no image cache). Every expected body
 * is what the Glance 25 peer answered to the same calls in its default configuration.
 */
describe('GET /v2/info/usage and the cache API without an image cache', () => {
  let t: TestApp;
  const owner = as('p1');
  const reader = as('p1', 'reader');
  const stranger = as('p2');
  const admin = as('p1', 'admin,member,reader');
  const glanceError = (code: string, title: string, explanation: string) => ({
    message: `${explanation}<br /><br />\n\n\n`,
    code: `${code} ${title}`,
    title,
  });
  const notSupported = glanceError('404', 'Not Found', 'Caching via API is not supported at this site.');
  const denied = (rule: string) =>
    glanceError('403', 'Forbidden', `You are not authorized to complete ${rule} action.`);

  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
  });
  afterAll(async () => {
    await t?.close();
  });

  async function image(visibility: string): Promise<string> {
    const res = await t.http
      .post('/v2/images')
      .set(owner)
      .send({ name: 'c', visibility, disk_format: 'raw', container_format: 'bare' })
      .expect(201);
    return res.body.id as string;
  }

  it('reports no usage, since no unified limit is enforced', async () => {
    for (const who of [owner, reader, stranger, admin]) {
      const res = await t.http.get('/v2/info/usage').set(who).expect(200);
      expect(res.body).toEqual({ usage: {} });
    }
    await t.http.post('/v2/info/usage').set(admin).expect(405);
  });

  it('checks the cache policies (admin only) and then says the cache is not there', async () => {
    expect((await t.http.get('/v2/cache').set(owner).expect(403)).body).toEqual(denied('cache_list'));
    expect((await t.http.delete('/v2/cache').set(owner).expect(403)).body).toEqual(denied('cache_delete'));
    expect((await t.http.get('/v2/cache').set(admin).expect(404)).body).toEqual(notSupported);
    expect((await t.http.delete('/v2/cache').set(admin).expect(404)).body).toEqual(notSupported);
  });

  it('looks the image up first: hidden or unknown is 404, visible but refused is 403', async () => {
    const mine = await image('private');
    const community = await image('community');
    for (const who of [owner, reader]) {
      expect((await t.http.put(`/v2/cache/${mine}`).set(who).expect(403)).body).toEqual(
        denied('cache_image'),
      );
      expect((await t.http.delete(`/v2/cache/${mine}`).set(who).expect(403)).body).toEqual(
        denied('cache_delete'),
      );
    }
    expect((await t.http.put(`/v2/cache/${community}`).set(stranger).expect(403)).body).toEqual(
      denied('cache_image'),
    );
    const hidden = glanceError('404', 'Not Found', `Image ${mine} not found.`);
    expect((await t.http.put(`/v2/cache/${mine}`).set(stranger).expect(404)).body).toEqual(hidden);
    // Glance 25 answers this one with a 500; the 404 says what happened.
    expect((await t.http.delete(`/v2/cache/${mine}`).set(stranger).expect(404)).body).toEqual(hidden);
    expect((await t.http.put('/v2/cache/abc').set(admin).expect(404)).body).toEqual(
      glanceError('404', 'Not Found', 'Image abc not found.'),
    );
    expect((await t.http.put(`/v2/cache/${mine}`).set(admin).expect(404)).body).toEqual(notSupported);
    expect((await t.http.delete(`/v2/cache/${mine}`).set(admin).expect(404)).body).toEqual(notSupported);
    await t.http.get(`/v2/cache/${mine}`).set(admin).expect(405);
  });
});
