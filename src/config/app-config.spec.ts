import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ConfigError, loadConfig } from './app-config.js';

function file(name: string, text: string): string {
  const path = join(mkdtempSync(join(tmpdir(), 'glint-cfg-')), name);
  writeFileSync(path, text);
  return path;
}

describe('loadConfig', () => {
  it('has the documented defaults', () => {
    const c = loadConfig({}, '/srv');
    expect(c.port).toBe(9292);
    expect(c.host).toBe('127.0.0.1');
    expect(c.dataDir).toBe('/srv/data');
    expect(c.database.url).toBeUndefined();
    expect(c.database.embeddedDir).toBe('/srv/data/db');
    expect(c.auth).toBe('noauth');
    expect(c.glance.limit_param_default).toBe(25);
    expect(c.glance.image_format.disk_formats).toContain('qcow2');
  });

  it.each([
    [{ PORT: 'eighty' }, /PORT/],
    [{ GLINT_AUTH: 'keystone-ish' }, /GLINT_AUTH/],
    [{ DATABASE_URL: 'mysql://x' }, /DATABASE_URL/],
    [{ GLINT_DB_MIGRATE: 'maybe' }, /GLINT_DB_MIGRATE/],
  ])('names the bad setting %j', (env, pattern) => {
    expect(() => loadConfig(env)).toThrow(pattern);
  });

  it('refuses noauth on a public address unless told it is fine', () => {
    expect(() => loadConfig({ HOST: '0.0.0.0' })).toThrow(/GLINT_ALLOW_INSECURE_NOAUTH/);
    expect(loadConfig({ HOST: '0.0.0.0', GLINT_ALLOW_INSECURE_NOAUTH: 'true' }).host).toBe('0.0.0.0');
    expect(loadConfig({ HOST: '0.0.0.0', GLINT_AUTH: 'trusted' }).auth).toBe('trusted');
  });

  it('reads Glance options from YAML and JSON with Glance names', () => {
    const yaml = file('glint.yaml', 'image_size_cap: 1024\nimage_format:\n  disk_formats: [raw]\n');
    const c = loadConfig({ GLINT_CONFIG: yaml });
    expect(c.glance.image_size_cap).toBe(1024);
    expect(c.glance.image_format.disk_formats).toEqual(['raw']);
    expect(c.glance.image_format.container_formats).toContain('bare');
    const json = file('glint.json', '{"api_limit_max": 50}');
    expect(loadConfig({ GLINT_CONFIG: json }).glance.api_limit_max).toBe(50);
  });

  it('names unknown keys, wrong types and unreadable files', () => {
    expect(() => loadConfig({ GLINT_CONFIG: file('a.yaml', 'image_size_kap: 1\n') })).toThrow(
      /image_size_kap/,
    );
    expect(() => loadConfig({ GLINT_CONFIG: file('b.yaml', 'image_format:\n  disk_formats: 3\n') })).toThrow(
      /image_format\.disk_formats/,
    );
    expect(() => loadConfig({ GLINT_CONFIG: file('c.yaml', 'a: [\n') })).toThrow(ConfigError);
    expect(() => loadConfig({ GLINT_CONFIG: '/nonexistent/glint.yaml' })).toThrow(/GLINT_CONFIG/);
  });

  it('names what GLINT_AUTH=keystone and oidc are missing', () => {
    expect(() => loadConfig({ GLINT_AUTH: 'keystone' })).toThrow(/keystone_authtoken\.auth_url.*password/);
    expect(() => loadConfig({ GLINT_AUTH: 'oidc' })).toThrow(/oidc\.issuer.*oidc\.audience/);
    const partial = file(
      'ks.yaml',
      'keystone_authtoken:\n  auth_url: http://keystone:5000\n  username: glint\n  project_name: service\n',
    );
    expect(() => loadConfig({ GLINT_AUTH: 'keystone', GLINT_CONFIG: partial })).toThrow(
      /password.*user_domain_name.*project_domain_name/,
    );
    expect(() =>
      loadConfig({ GLINT_CONFIG: file('bad.yaml', 'keystone_authtoken:\n  memcached_servers: [a]\n') }),
    ).toThrow(/memcached_servers/);
  });

  it('takes keystone_authtoken from GLINT_CONFIG with keystonemiddleware names, secrets from the environment', () => {
    const yaml = file(
      'ks2.yaml',
      [
        'keystone_authtoken:',
        '  www_authenticate_uri: https://keystone.example.com/v3',
        '  auth_url: http://keystone:5000',
        '  username: glance',
        '  user_domain_name: Default',
        '  project_name: service',
        '  project_domain_name: Default',
        '  token_cache_time: 60',
        '',
      ].join('\n'),
    );
    const c = loadConfig({
      GLINT_AUTH: 'keystone',
      GLINT_CONFIG: yaml,
      GLINT_KEYSTONE_PASSWORD: 's3cret',
      GLINT_KEYSTONE_AUTH_URL: 'http://keystone.internal:5000/v3',
    });
    expect(c.glance.keystone_authtoken).toMatchObject({
      auth_url: 'http://keystone.internal:5000/v3',
      password: 's3cret',
      token_cache_time: 60,
      service_token_roles: ['service'],
      http_request_max_retries: 3,
    });
    const oidc = loadConfig({
      GLINT_AUTH: 'oidc',
      GLINT_OIDC_ISSUER: 'https://idp.example',
      GLINT_OIDC_AUDIENCE: 'a, b',
    });
    expect(oidc.glance.oidc).toMatchObject({
      issuer: 'https://idp.example',
      audience: ['a', 'b'],
      roles_claim: 'roles',
    });
    const single = file('oidc.yaml', 'oidc:\n  issuer: https://idp.example\n  audience: glint\n');
    expect(loadConfig({ GLINT_AUTH: 'oidc', GLINT_CONFIG: single }).glance.oidc.audience).toEqual(['glint']);
  });

  it('reads the import plugin options with Glance names, list and dict texts included', () => {
    const d = loadConfig({});
    expect(d.glance.image_import_opts.image_import_plugins).toEqual([]);
    expect(d.glance.image_conversion.output_format).toBe('raw');
    expect(d.glance.inject_metadata_properties).toEqual({ ignore_user_roles: ['admin'], inject: {} });
    expect(d.qemuImg).toBe('qemu-img');
    const yaml = file(
      'plugins.yaml',
      [
        'image_import_opts: {image_import_plugins: [image_conversion, inject_image_metadata]}',
        'image_conversion: {output_format: qcow2}',
        "inject_metadata_properties: {ignore_user_roles: 'admin, member', inject: 'k1:v1, k2:v2'}",
        '',
      ].join('\n'),
    );
    const c = loadConfig({ GLINT_CONFIG: yaml, GLINT_QEMU_IMG: '/opt/qemu/bin/qemu-img' });
    expect(c.glance.image_import_opts.image_import_plugins).toEqual([
      'image_conversion',
      'inject_image_metadata',
    ]);
    expect(c.glance.image_conversion.output_format).toBe('qcow2');
    expect(c.glance.inject_metadata_properties).toEqual({
      ignore_user_roles: ['admin', 'member'],
      inject: { k1: 'v1', k2: 'v2' },
    });
    expect(c.qemuImg).toBe('/opt/qemu/bin/qemu-img');
    const env = loadConfig({ GLINT_CONFIG: yaml, GLINT_IMPORT_PLUGINS: 'image_decompression,no_op' });
    expect(env.glance.image_import_opts.image_import_plugins).toEqual(['image_decompression', 'no_op']);
    expect(() => loadConfig({ GLINT_IMPORT_PLUGINS: 'image_shrinking' })).toThrow(
      /GLINT_IMPORT_PLUGINS.*image_shrinking/,
    );
    expect(() =>
      loadConfig({ GLINT_CONFIG: file('bad.yaml', 'image_conversion: {output_format: vhd}\n') }),
    ).toThrow(/image_conversion\.output_format/);
    expect(() =>
      loadConfig({ GLINT_CONFIG: file('bad2.yaml', 'image_import_opts: {image_import_plugins: [zip]}\n') }),
    ).toThrow(/image_import_opts\.image_import_plugins/);
  });
});
