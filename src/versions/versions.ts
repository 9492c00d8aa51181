import type { Request } from 'express';
import type { AppConfig } from '../config/app-config.js';
import { applicationUrl } from '../common/http/request-origin.js';

/**
 * Which Image API versions Glint announces. Like Glance, some minor versions are only listed when
 * the feature they introduced is configured (multi-store); the newest listed one is CURRENT.
 */
const ALWAYS = ['2.0', '2.1', '2.2', '2.3', '2.4', '2.5', '2.6', '2.7', '2.9', '2.15'];
const WITH_MULTI_STORE = ['2.8', '2.10', '2.11', '2.12', '2.13'];

function minor(version: string): number {
  return Number(version.split('.')[1]);
}

export function servedVersions(config: AppConfig): string[] {
  const multiStore = Boolean(config.glance.stores && 'enabled_backends' in config.glance.stores);
  return [...ALWAYS, ...(multiStore ? WITH_MULTI_STORE : [])].sort((a, b) => minor(b) - minor(a));
}

/** Path prefixes the negotiator accepts and rewrites to /v2. */
export function acceptedPrefixes(config: AppConfig): Set<string> {
  return new Set(['v2', ...servedVersions(config).map((v) => `v${v}`)]);
}

export interface VersionsDocument {
  versions: Array<{
    id: string;
    status: 'CURRENT' | 'SUPPORTED';
    links: Array<{ rel: string; href: string }>;
  }>;
}

export function versionsDocument(config: AppConfig, req: Request): VersionsDocument {
  // As Glance: public_endpoint, else the URL the client (or its proxy) used, prefix included.
  const base = (config.glance.public_endpoint ?? applicationUrl(req)).replace(/\/+$/, '');
  const href = `${base}/v2/`;
  return {
    versions: servedVersions(config).map((v, i) => ({
      id: `v${v}`,
      status: i === 0 ? 'CURRENT' : 'SUPPORTED',
      links: [{ rel: 'self', href }],
    })),
  };
}
