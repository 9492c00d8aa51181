import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { startTestApp } from '../support/test-app.js';
import type { TestApp } from '../support/test-app.js';
import { PATCH_TYPE, as, errorText, recordNotifications } from '../support/images.js';
import type { Notification } from '../../src/notifications/notification.js';

const TIMESTAMP = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}Z$/;

describe('image members (secure RBAC defaults)', () => {
  let t: TestApp;
  let sent: Notification[];
  const owner = as('p-owner');
  const ownerReader = as('p-owner', 'reader');
  const member = as('p-member');
  const memberReader = as('p-member', 'reader');
  const second = as('p-second');
  const other = as('p-other');
  const admin = as('p-admin', 'admin,member,reader');

  beforeAll(async () => {
    t = await startTestApp({ GLINT_AUTH: 'trusted' });
    sent = recordNotifications(t);
  });
  afterAll(async () => {
    await t?.close();
  });
  beforeEach(() => {
    sent.length = 0;
  });

  async function image(body: Record<string, unknown> = {}, headers = owner): Promise<string> {
    const res = await t.http.post('/v2/images').set(headers).send(body).expect(201);
    return res.body.id as string;
  }
  function share(id: string, project: string, headers = owner) {
    return t.http.post(`/v2/images/${id}/members`).set(headers).send({ member: project });
  }
  function answer(id: string, project: string, status: string) {
    return t.http.put(`/v2/images/${id}/members/${project}`).set(as(project)).send({ status });
  }
  async function setVisibility(id: string, visibility: string, headers = owner) {
    await t.http
      .patch(`/v2/images/${id}`)
      .set(headers)
      .set('Content-Type', PATCH_TYPE)
      .send(JSON.stringify([{ op: 'replace', path: '/visibility', value: visibility }]))
      .expect(200);
  }
  async function listNames(headers: Record<string, string>, query = ''): Promise<string[]> {
    const res = await t.http.get(`/v2/images${query}`).set(headers).expect(200);
    return (res.body.images as Array<{ name: string }>).map((i) => i.name);
  }

  describe('add', () => {
    it('adds a pending member with 200 and Glance’s representation, and announces it', async () => {
      const id = await image();
      sent.length = 0;
      const res = await share(id, 'p-member').expect(200);
      expect(res.headers['content-type']).toMatch(/^application\/json/);
      expect(Object.keys(res.body).sort()).toEqual(
        ['created_at', 'image_id', 'member_id', 'schema', 'status', 'updated_at'].sort(),
      );
      expect(res.body).toMatchObject({
        image_id: id,
        member_id: 'p-member',
        status: 'pending',
        schema: '/v2/schemas/member',
      });
      expect(res.body.created_at).toMatch(TIMESTAMP);
      expect(res.body.updated_at).toBe(res.body.created_at);
      // The representation and the published schema describe the same keys.
      const schema = (await t.http.get('/v2/schemas/member').set(owner).expect(200)).body;
      expect(Object.keys(schema.properties).sort()).toEqual(Object.keys(res.body).sort());
      expect(sent.map((n) => n.event_type)).toEqual(['image.member.create']);
      expect(sent[0].payload).toEqual({
        image_id: id,
        member_id: 'p-member',
        status: 'pending',
        created_at: res.body.created_at,
        updated_at: res.body.updated_at,
        deleted: false,
        deleted_at: null,
      });
    });

    it('refuses a duplicate with 409', async () => {
      const id = await image();
      await share(id, 'p-member').expect(200);
      const res = await share(id, 'p-member').expect(409);
      expect(errorText(res.body)).toBe(`Member p-member is duplicated for image ${id}`);
    });

    it.each([
      [undefined, 'Body expected in request.'],
      [['p-x'], 'Expected a member in the form: {"member": "image_id"}'],
      [{ other: 'p-x' }, 'Member to be added not specified'],
      [{ member: '' }, "Member can't be empty"],
      [{ member: null }, "Member can't be empty"],
      [{ member: 0 }, "Member can't be empty"],
      [{ member: false }, "Member can't be empty"],
      [{ member: ['p-x'] }, 'Expected a member in the form: {"member": "image_id"}'],
      [{ member: { id: 'p-x' } }, 'Expected a member in the form: {"member": "image_id"}'],
      [{ member: true }, 'Expected a member in the form: {"member": "image_id"}'],
      [{ member: 'p-\u{1F600}' }, "Member can't contain 4 byte unicode characters."],
      [{ member: 'x'.repeat(256) }, "Member can't be longer than 255 characters."],
    ])('refuses the body %j with 400', async (body, message) => {
      const id = await image();
      const req = t.http.post(`/v2/images/${id}/members`).set(owner);
      const res = await (body === undefined ? req : req.send(body as object)).expect(400);
      expect(errorText(res.body)).toBe(message);
      const list = await t.http.get(`/v2/images/${id}/members`).set(owner).expect(200);
      expect(list.body.members).toEqual([]);
    });

    it('takes any other non-empty project id as Glance does (no identity-service check)', async () => {
      const id = await image();
      for (const project of ['x'.repeat(255), ' ', 'p-owner', 'Ünïcode']) {
        const res = await share(id, project).expect(200);
        expect(res.body.member_id).toBe(project);
      }
      // A number is stored as its text.
      expect((await share(id, 42 as unknown as string).expect(200)).body.member_id).toBe('42');
    });

    it('checks the body before the image', async () => {
      const res = await t.http.post('/v2/images/nope/members').set(owner).send({}).expect(400);
      expect(errorText(res.body)).toBe('Member to be added not specified');
    });

    it('refuses members on images that are not shared with 403', async () => {
      for (const visibility of ['private', 'community', 'public']) {
        const id = await image({ visibility }, visibility === 'public' ? admin : owner);
        const res = await share(id, 'p-member', visibility === 'public' ? admin : owner).expect(403);
        expect(errorText(res.body)).toBe(`Not allowed to create members for image ${id}.`);
      }
    });

    it('lets only the owner’s members and admins add: 403 for a reader or a member, 404 for others', async () => {
      const id = await image();
      await share(id, 'p-member').expect(200);
      const reader = await share(id, 'p-x', ownerReader).expect(403);
      expect(errorText(reader.body)).toBe('You are not authorized to complete add_member action.');
      await share(id, 'p-x', member).expect(403);
      const hidden = await share(id, 'p-x', other).expect(404);
      expect(errorText(hidden.body)).toBe(`Image ${id} not found.`);
      await share(id, 'p-by-admin', admin).expect(200);
    });

    it('answers 404 for unknown and malformed image ids', async () => {
      for (const bad of ['00000000-0000-0000-0000-000000000000', 'abc']) {
        const res = await share(bad, 'p-member').expect(404);
        expect(errorText(res.body)).toBe(`Image ${bad} not found.`);
      }
    });

    it('revives a removed member as pending, keeping created_at', async () => {
      const id = await image();
      const first = (await share(id, 'p-member').expect(200)).body;
      await answer(id, 'p-member', 'accepted').expect(200);
      await t.http.delete(`/v2/images/${id}/members/p-member`).set(owner).expect(204);
      await new Promise((r) => setTimeout(r, 1100));
      const again = (await share(id, 'p-member').expect(200)).body;
      expect(again.status).toBe('pending');
      expect(again.created_at).toBe(first.created_at);
      expect(again.updated_at > first.updated_at).toBe(true);
      const list = await t.http.get(`/v2/images/${id}/members`).set(owner).expect(200);
      expect(list.body.members).toEqual([again]);
    });
  });

  describe('quota', () => {
    let q: TestApp;
    beforeAll(async () => {
      const file = join(mkdtempSync(join(tmpdir(), 'glint-members-')), 'glint.yaml');
      writeFileSync(file, 'image_member_quota: 2\n');
      q = await startTestApp({ GLINT_AUTH: 'trusted' }, file);
    });
    afterAll(async () => {
      await q?.close();
    });

    it('refuses a member over image_member_quota with 413 (before the duplicate check), counting live ones', async () => {
      const id = (await q.http.post('/v2/images').set(owner).send({}).expect(201)).body.id as string;
      const add = (m: string) => q.http.post(`/v2/images/${id}/members`).set(owner).send({ member: m });
      await add('m1').expect(200);
      await add('m2').expect(200);
      const over = await add('m3').expect(413);
      expect(errorText(over.body)).toBe(
        `Image member limit exceeded for image ${id}: The limit has been exceeded on the number of allowed image members for this image. Attempted: 3, Maximum: 2:`,
      );
      await add('m1').expect(413);
      await q.http.delete(`/v2/images/${id}/members/m1`).set(owner).expect(204);
      await add('m3').expect(200);
    });
  });

  describe('list and show', () => {
    let id: string;
    beforeAll(async () => {
      id = await image({ name: 'list-show' });
      await share(id, 'p-member').expect(200);
      await share(id, 'p-second').expect(200);
    });

    it('shows the owner, its readers and admins every member, in the order they were added', async () => {
      for (const who of [owner, ownerReader, admin]) {
        const res = await t.http.get(`/v2/images/${id}/members`).set(who).expect(200);
        expect(res.body.schema).toBe('/v2/schemas/members');
        expect(res.body.members.map((m: { member_id: string }) => m.member_id)).toEqual([
          'p-member',
          'p-second',
        ]);
      }
    });

    it('shows a member only its own membership, whatever its status', async () => {
      for (const who of [member, memberReader]) {
        const res = await t.http.get(`/v2/images/${id}/members`).set(who).expect(200);
        expect(res.body.members.map((m: { member_id: string }) => m.member_id)).toEqual(['p-member']);
      }
      await t.http.get(`/v2/images/${id}/members/p-member`).set(member).expect(200);
      const res = await t.http.get(`/v2/images/${id}/members/p-second`).set(member).expect(404);
      expect(errorText(res.body)).toBe(`p-second not found in the member list of the image ${id}.`);
    });

    it('hides the image and its members from other projects (404)', async () => {
      const list = await t.http.get(`/v2/images/${id}/members`).set(other).expect(404);
      expect(errorText(list.body)).toBe(`Image ${id} not found.`);
      const one = await t.http.get(`/v2/images/${id}/members/p-member`).set(other).expect(404);
      expect(errorText(one.body)).toBe(`Image ${id} not found.`);
      expect(JSON.stringify(one.body)).not.toContain('pending');
    });

    it('answers 404 for a project that is not a member', async () => {
      const res = await t.http.get(`/v2/images/${id}/members/p-nobody`).set(owner).expect(404);
      expect(errorText(res.body)).toBe(`p-nobody not found in the member list of the image ${id}.`);
    });

    it('refuses a body on the no-body routes', async () => {
      for (const req of [
        t.http.get(`/v2/images/${id}/members`),
        t.http.get(`/v2/images/${id}/members/p-member`),
        t.http.delete(`/v2/images/${id}/members/p-member`),
      ]) {
        const res = await req.set(owner).send({ x: 1 }).expect(400);
        expect(errorText(res.body)).toBe('A body is not expected with this request.');
      }
      await t.http.get(`/v2/images/${id}/members/p-member`).set(owner).expect(200);
    });

    it('answers other methods with 405 and Allow', async () => {
      const a = await t.http.patch(`/v2/images/${id}/members`).set(owner).send([]).expect(405);
      expect(a.headers.allow).toBe('GET, POST');
      const b = await t.http.post(`/v2/images/${id}/members/p-member`).set(owner).send({}).expect(405);
      expect(b.headers.allow).toBe('GET, PUT, DELETE');
    });

    it('keeps the records when the image stops being shared, and restores them when it is shared again', async () => {
      const img = await image({ name: 'toggle' });
      await share(img, 'p-member').expect(200);
      await answer(img, 'p-member', 'accepted').expect(200);
      await setVisibility(img, 'private');
      await t.http.get(`/v2/images/${img}`).set(member).expect(404);
      expect(await listNames(member, '?member_status=all')).not.toContain('toggle');
      const list = await t.http.get(`/v2/images/${img}/members`).set(owner).expect(403);
      expect(errorText(list.body)).toBe(
        `Not allowed to list members for image ${img}: Only shared images have members.`,
      );
      const show = await t.http.get(`/v2/images/${img}/members/p-member`).set(owner).expect(404);
      expect(errorText(show.body)).toBe('Only shared images have members.');
      const put = await answer(img, 'p-member', 'rejected');
      expect(put.status).toBe(404);
      const del = await t.http.delete(`/v2/images/${img}/members/p-member`).set(owner).expect(403);
      expect(errorText(del.body)).toBe(`Not allowed to delete members for image ${img}.`);
      await setVisibility(img, 'shared');
      const back = await t.http.get(`/v2/images/${img}/members/p-member`).set(member).expect(200);
      expect(back.body.status).toBe('accepted');
      expect(await listNames(member)).toContain('toggle');
    });
  });

  describe('status', () => {
    it('lets the member answer, bumps updated_at and announces it', async () => {
      const id = await image();
      const added = (await share(id, 'p-member').expect(200)).body;
      await new Promise((r) => setTimeout(r, 1100));
      sent.length = 0;
      const res = await answer(id, 'p-member', 'accepted').expect(200);
      expect(res.body).toMatchObject({
        member_id: 'p-member',
        status: 'accepted',
        created_at: added.created_at,
      });
      expect(res.body.updated_at > added.updated_at).toBe(true);
      expect(sent.map((n) => n.event_type)).toEqual(['image.member.update']);
      expect(sent[0].payload).toMatchObject({ status: 'accepted', deleted: false, deleted_at: null });
      for (const status of ['rejected', 'pending', 'pending']) {
        expect((await answer(id, 'p-member', status).expect(200)).body.status).toBe(status);
      }
    });

    it.each([['bogus'], [1], [null], ['Accepted'], [['accepted']]])(
      'refuses the status %j with 400',
      async (status) => {
        const id = await image();
        await share(id, 'p-member').expect(200);
        const res = await t.http
          .put(`/v2/images/${id}/members/p-member`)
          .set(member)
          .send({ status })
          .expect(400);
        expect(errorText(res.body)).toBe(
          'Incorrect request: Status must be "pending", "accepted" or "rejected".',
        );
        expect((await t.http.get(`/v2/images/${id}/members/p-member`).set(member)).body.status).toBe(
          'pending',
        );
      },
    );

    it.each([
      [undefined, 'Body expected in request.'],
      [['accepted'], 'Expected a status in the form: {"status": "status"}'],
      [{ state: 'accepted' }, 'Status not specified'],
    ])('refuses the body %j with 400', async (body, message) => {
      const id = await image();
      await share(id, 'p-member').expect(200);
      const req = t.http.put(`/v2/images/${id}/members/p-member`).set(member);
      const res = await (body === undefined ? req : req.send(body as object)).expect(400);
      expect(errorText(res.body)).toBe(message);
    });

    it('refuses the owner (403, before the status value is read), a reader member and other members', async () => {
      const id = await image();
      await share(id, 'p-member').expect(200);
      await share(id, 'p-second').expect(200);
      for (const status of ['accepted', 'bogus']) {
        const res = await t.http
          .put(`/v2/images/${id}/members/p-member`)
          .set(owner)
          .send({ status })
          .expect(403);
        expect(errorText(res.body)).toBe('You are not authorized to complete modify_member action.');
      }
      await t.http
        .put(`/v2/images/${id}/members/p-member`)
        .set(memberReader)
        .send({ status: 'accepted' })
        .expect(403);
      const cross = await t.http
        .put(`/v2/images/${id}/members/p-member`)
        .set(second)
        .send({ status: 'rejected' })
        .expect(404);
      expect(errorText(cross.body)).toBe(`p-member not found in the member list of the image ${id}.`);
      await t.http
        .put(`/v2/images/${id}/members/p-member`)
        .set(other)
        .send({ status: 'accepted' })
        .expect(404);
      await t.http.put(`/v2/images/${id}/members/p-nobody`).set(owner).send({ status: 'bogus' }).expect(404);
      const res = await t.http
        .put(`/v2/images/${id}/members/p-member`)
        .set(admin)
        .send({ status: 'rejected' });
      expect(res.status).toBe(200);
      expect((await t.http.get(`/v2/images/${id}/members/p-member`).set(member)).body.status).toBe(
        'rejected',
      );
    });
  });

  describe('delete', () => {
    it('lets the owner remove a member (204, image.member.delete) and the member lose access', async () => {
      const id = await image({ name: 'removed' });
      const added = (await share(id, 'p-member').expect(200)).body;
      await t.http.get(`/v2/images/${id}`).set(member).expect(200);
      sent.length = 0;
      const res = await t.http.delete(`/v2/images/${id}/members/p-member`).set(owner).expect(204);
      expect(res.text).toBe('');
      expect(sent.map((n) => n.event_type)).toEqual(['image.member.delete']);
      expect(sent[0].payload).toMatchObject({
        image_id: id,
        member_id: 'p-member',
        status: 'pending',
        created_at: added.created_at,
        deleted: true,
      });
      expect((sent[0].payload as { deleted_at: string }).deleted_at).toMatch(TIMESTAMP);
      await t.http.get(`/v2/images/${id}`).set(member).expect(404);
      const again = await t.http.delete(`/v2/images/${id}/members/p-member`).set(owner).expect(404);
      expect(errorText(again.body)).toBe(`p-member not found in the member list of the image ${id}.`);
    });

    it('refuses a member removing itself (403) or another member (404), and the owner’s readers (403)', async () => {
      const id = await image();
      await share(id, 'p-member').expect(200);
      await share(id, 'p-second').expect(200);
      const self = await t.http.delete(`/v2/images/${id}/members/p-member`).set(member).expect(403);
      expect(errorText(self.body)).toBe('You are not authorized to complete delete_member action.');
      await t.http.delete(`/v2/images/${id}/members/p-second`).set(member).expect(404);
      await t.http.delete(`/v2/images/${id}/members/p-member`).set(ownerReader).expect(403);
      await t.http.delete(`/v2/images/${id}/members/p-member`).set(other).expect(404);
      await t.http.delete(`/v2/images/${id}/members/p-member`).set(admin).expect(204);
      const list = await t.http.get(`/v2/images/${id}/members`).set(owner).expect(200);
      expect(list.body.members.map((m: { member_id: string }) => m.member_id)).toEqual(['p-second']);
    });

    it('removes the members with the image', async () => {
      const id = await image();
      await share(id, 'p-member').expect(200);
      await t.http.delete(`/v2/images/${id}`).set(owner).expect(204);
      await t.http.get(`/v2/images/${id}/members`).set(owner).expect(404);
    });
  });

  describe('visibility and lists', () => {
    let id: string;
    beforeAll(async () => {
      id = await image({ name: 'shared-with-member' });
      await share(id, 'p-member').expect(200);
    });

    it('lets a pending, accepted or rejected member read the image by id', async () => {
      for (const status of ['pending', 'accepted', 'rejected']) {
        if (status !== 'pending') await answer(id, 'p-member', status).expect(200);
        const res = await t.http.get(`/v2/images/${id}`).set(member).expect(200);
        expect(res.body.id).toBe(id);
      }
      await answer(id, 'p-member', 'pending').expect(200);
    });

    it('lists a shared image for a member by default only once accepted; member_status selects', async () => {
      expect(await listNames(member)).not.toContain('shared-with-member');
      expect(await listNames(member, '?member_status=pending')).toContain('shared-with-member');
      expect(await listNames(member, '?member_status=all')).toContain('shared-with-member');
      expect(await listNames(member, '?member_status=accepted')).not.toContain('shared-with-member');
      expect(await listNames(member, '?visibility=shared')).not.toContain('shared-with-member');
      expect(await listNames(member, '?visibility=shared&member_status=pending')).toContain(
        'shared-with-member',
      );
      await answer(id, 'p-member', 'accepted').expect(200);
      expect(await listNames(member)).toContain('shared-with-member');
      expect(await listNames(member, '?visibility=shared')).toContain('shared-with-member');
      expect(await listNames(member, '?member_status=pending')).not.toContain('shared-with-member');
      await answer(id, 'p-member', 'rejected').expect(200);
      expect(await listNames(member)).not.toContain('shared-with-member');
      expect(await listNames(member, '?member_status=rejected')).toContain('shared-with-member');
      await answer(id, 'p-member', 'pending').expect(200);
    });

    it('does not filter the owner’s own images by member_status, and never lists them to others', async () => {
      for (const ms of ['pending', 'accepted', 'rejected', 'all']) {
        expect(await listNames(owner, `?member_status=${ms}`)).toContain('shared-with-member');
        expect(await listNames(other, `?member_status=${ms}`)).not.toContain('shared-with-member');
      }
      // Every visibility filter works with memberships in play (each binds only what it uses).
      for (const v of ['public', 'private', 'community', 'shared', 'all']) {
        await t.http.get(`/v2/images?visibility=${v}&member_status=all`).set(member).expect(200);
      }
      const bad = await t.http.get('/v2/images?member_status=x').set(member).expect(400);
      expect(errorText(bad.body)).toBe('Invalid status: x');
    });
  });
});

describe('image members (legacy rules: oslo_policy.enforce_new_defaults false)', () => {
  let t: TestApp;
  const owner = as('pl-owner', '');
  const member = as('pl-member', '');

  beforeAll(async () => {
    const file = join(mkdtempSync(join(tmpdir(), 'glint-members-')), 'glint.yaml');
    writeFileSync(file, 'oslo_policy:\n  enforce_new_defaults: false\n');
    t = await startTestApp({ GLINT_AUTH: 'trusted', GLINT_LOG_LEVEL: 'error' }, file);
  });
  afterAll(async () => {
    await t?.close();
  });

  it('checks ownership in code: only the owner adds and removes, only the member answers', async () => {
    const id = (await t.http.post('/v2/images').set(owner).send({}).expect(201)).body.id as string;
    await t.http.post(`/v2/images/${id}/members`).set(owner).send({ member: 'pl-member' }).expect(200);
    const add = await t.http
      .post(`/v2/images/${id}/members`)
      .set(member)
      .send({ member: 'pl-x' })
      .expect(403);
    expect(errorText(add.body)).toBe(`Not allowed to create members for image ${id}.`);
    for (const status of ['accepted', 'bogus']) {
      const res = await t.http
        .put(`/v2/images/${id}/members/pl-member`)
        .set(owner)
        .send({ status })
        .expect(403);
      expect(errorText(res.body)).toBe(`Not allowed to update members for image ${id}.`);
    }
    await t.http
      .put(`/v2/images/${id}/members/pl-member`)
      .set(member)
      .send({ status: 'accepted' })
      .expect(200);
    const del = await t.http.delete(`/v2/images/${id}/members/pl-member`).set(member).expect(403);
    expect(errorText(del.body)).toBe(`Not allowed to delete members for image ${id}.`);
    const admin = as('pl-admin', 'admin');
    await t.http
      .put(`/v2/images/${id}/members/pl-member`)
      .set(admin)
      .send({ status: 'rejected' })
      .expect(200);
    await t.http.delete(`/v2/images/${id}/members/pl-member`).set(owner).expect(204);
  });
});
