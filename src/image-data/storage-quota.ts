const UNITS: Record<string, number> = { B: 1, KB: 1024, MB: 1024 ** 2, GB: 1024 ** 3, TB: 1024 ** 4 };

/** Glance's user_storage_quota ("0" is off; B, KB, MB, GB or TB, 1024-based) in bytes. */
export function parseStorageQuota(value: string): number | undefined {
  const m = /^(\d+)(B|KB|MB|GB|TB)?$/.exec(value.trim());
  if (!m) return undefined;
  const bytes = Number(m[1]) * UNITS[m[2] ?? 'B'];
  return bytes > 0 ? bytes : undefined;
}
