import { spawn } from 'node:child_process';
import { TaskFailedError } from '../../tasks/executor/task-handler.js';

/** Output kept from one run; `qemu-img info` prints a few KiB, convert nothing. */
const MAX_OUTPUT = 1024 * 1024;
/** `qemu-img info` only reads headers; a hostile image must not keep it busy (Glance caps it too). */
const INFO_TIMEOUT_MS = 30_000;

export interface QemuImgInfo {
  format?: string;
  'virtual-size'?: number;
  'backing-filename'?: string;
  'format-specific'?: { type?: string; data?: { 'data-file'?: string; 'create-type'?: string } };
}

/**
 * Runs qemu-img. A missing binary is said plainly (Debian's qemu-utils provides it); a failing
 * run reports qemu-img's own stderr.
 */
export function runQemuImg(bin: string, args: string[], signal?: AbortSignal): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(bin, args, { stdio: ['ignore', 'pipe', 'pipe'], signal });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (c: Buffer) => {
      if (stdout.length < MAX_OUTPUT) stdout += c.toString('utf8');
    });
    child.stderr.on('data', (c: Buffer) => {
      if (stderr.length < MAX_OUTPUT) stderr += c.toString('utf8');
    });
    child.on('error', (err: NodeJS.ErrnoException) => {
      if (err.name === 'AbortError') {
        reject(
          new TaskFailedError(
            `Image conversion failed: qemu-img ${args[0]} was stopped (${signal?.reason ?? 'aborted'})`,
          ),
        );
      } else if (err.code === 'ENOENT' || err.code === 'EACCES') {
        reject(
          new TaskFailedError(
            `Image conversion failed: qemu-img is not available (${bin}: ${err.code}). Install qemu-img (Debian package qemu-utils) or set GLINT_QEMU_IMG to its path.`,
          ),
        );
      } else reject(err);
    });
    child.on('close', (code, sig) => {
      if (code === 0) return resolve(stdout);
      const why = stderr.trim() || (sig ? `killed by ${sig}` : `exit status ${code}`);
      reject(new TaskFailedError(`Image conversion failed: qemu-img ${args[0]}: ${why}`));
    });
  });
}

export async function qemuImgInfo(
  bin: string,
  format: string,
  path: string,
  signal?: AbortSignal,
): Promise<QemuImgInfo> {
  const limit = AbortSignal.timeout(INFO_TIMEOUT_MS);
  const out = await runQemuImg(
    bin,
    ['info', '-f', format, '--output=json', path],
    signal ? AbortSignal.any([signal, limit]) : limit,
  );
  try {
    return JSON.parse(out) as QemuImgInfo;
  } catch {
    throw new TaskFailedError('Image conversion failed: qemu-img info gave no JSON');
  }
}
