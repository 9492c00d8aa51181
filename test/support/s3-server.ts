import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import S3rver from 's3rver';

export interface LocalS3 {
  endpoint: string;
  directory: string;
  /** Every file the server holds for `bucket` (objects, metadata, unfinished multipart parts). */
  files(bucket: string): string[];
  close(): Promise<void>;
}

function walk(dir: string): string[] {
  let out: string[] = [];
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  for (const name of names) {
    const path = join(dir, name);
    out = statSync(path).isDirectory() ? out.concat(walk(path)) : out.concat(path);
  }
  return out;
}

/**
 * s3rver on loopback (port 0) over a temp directory. s3rver 3.7 does not implement
 * AbortMultipartUpload (it answers 405 and keeps the parts); the shim below gives it S3's
 * behaviour (the upload and its parts are removed) so that tests can check a driver's cleanup.
 */
export async function startLocalS3(): Promise<LocalS3> {
  const directory = mkdtempSync(join(tmpdir(), 'glint-s3-'));
  const server = new S3rver({ address: '127.0.0.1', port: 0, directory, silent: true });
  server.middleware.unshift(async (ctx, next) => {
    const match = /^\/([^/]+)\/(.+)$/.exec(ctx.path);
    if (ctx.method === 'DELETE' && match && ctx.query.uploadId) {
      const uploads = server.store.getResourcePath(match[1], undefined, 'uploads');
      await rm(join(uploads, ctx.query.uploadId), { recursive: true, force: true });
      ctx.status = 204;
      ctx.body = null;
      return;
    }
    await next();
  });
  const { port } = await server.run();
  return {
    endpoint: `http://127.0.0.1:${port}`,
    directory,
    files: (bucket) =>
      walk(join(directory, bucket))
        .map((f) => relative(directory, f))
        .sort(),
    async close() {
      await server.close();
      rmSync(directory, { recursive: true, force: true });
    },
  };
}
