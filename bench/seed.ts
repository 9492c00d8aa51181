import type { Target } from './load.js';

/** Identity headers of a trusted-header server (Glint GLINT_AUTH=trusted, the Glance peer). */
export function identityHeaders(project: string): Record<string, string> {
  return {
    'X-Identity-Status': 'Confirmed',
    'X-Project-Id': project,
    'X-User-Id': 'bench-user',
    'X-Roles': 'member,reader',
  };
}

export function createBody(name: string): string {
  return JSON.stringify({ name, disk_format: 'raw', container_format: 'bare' });
}

/** Creates images `${prefix}-${from}` … through the API, `concurrency` at a time; returns their ids. */
export async function seedThroughApi(
  target: Target,
  project: string,
  prefix: string,
  from: number,
  count: number,
  concurrency = 8,
): Promise<string[]> {
  const ids: string[] = [];
  let next = from;
  const end = from + count;
  const worker = async () => {
    while (next < end) {
      const index = next++;
      const res = await fetch(`${target.url}/v2/images`, {
        method: 'POST',
        headers: { ...identityHeaders(project), 'content-type': 'application/json' },
        body: createBody(`${prefix}-${index}`),
      });
      if (res.status !== 201) {
        throw new Error(
          `${target.name}: seeding POST /v2/images answered ${res.status}: ${await res.text()}`,
        );
      }
      ids.push(((await res.json()) as { id: string }).id);
    }
  };
  await Promise.all(Array.from({ length: concurrency }, worker));
  return ids;
}

/** The first page of a project's list, to check a seed and to pick an image for `show`. */
export async function listPage(target: Target, project: string, query: string): Promise<{ id: string }[]> {
  const res = await fetch(`${target.url}/v2/images?${query}`, { headers: identityHeaders(project) });
  if (res.status !== 200) throw new Error(`${target.name}: GET /v2/images?${query} answered ${res.status}`);
  return ((await res.json()) as { images: { id: string }[] }).images;
}
