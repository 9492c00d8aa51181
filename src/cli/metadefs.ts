import 'reflect-metadata';
import { DataSource } from 'typeorm';
import { ConfigError, loadConfig } from '../config/app-config.js';
import { buildDataSourceOptions } from '../database/data-source.js';
import { CatalogOptionsError, MetadefCatalog, fileLabel } from '../metadefs/metadef-catalog.js';
import type { LoadOptions } from '../metadefs/metadef-catalog.js';
import { MetadefsRepository } from '../metadefs/metadefs.repository.js';

const USAGE = `usage: metadefs load DIR|FILE [--merge [--prefer-new | --overwrite]]
       metadefs export DIR

load    reads Glance's metadef catalog files (glance-manage db_load_metadefs format). A namespace
        that exists is skipped; --merge adds what it lacks, --prefer-new also rewrites what it
        has, --overwrite replaces it. Each file loads in one transaction; failures are reported
        and the command exits 1 when any file failed.
export  writes one catalog file per namespace into DIR.`;

function parseFlags(args: string[]): { positional: string[]; options: LoadOptions } {
  const options: LoadOptions = {};
  const positional: string[] = [];
  for (const arg of args) {
    const flag = arg.replace(/_/g, '-');
    if (flag === '--merge') options.merge = true;
    else if (flag === '--prefer-new') options.preferNew = true;
    else if (flag === '--overwrite') options.overwrite = true;
    else if (arg.startsWith('--')) throw new CatalogOptionsError(`unknown option ${arg}\n${USAGE}`);
    else positional.push(arg);
  }
  return { positional, options };
}

async function main(): Promise<number> {
  const [command, ...rest] = process.argv.slice(2);
  const { positional, options } = parseFlags(rest);
  if ((command !== 'load' && command !== 'export') || positional.length !== 1) {
    console.error(USAGE);
    return 2;
  }
  const config = loadConfig();
  const dataSource = new DataSource(buildDataSourceOptions(config.database).options);
  await dataSource.initialize();
  try {
    const catalog = new MetadefCatalog(new MetadefsRepository(dataSource));
    if (command === 'export') {
      const written = await catalog.export(positional[0]);
      for (const w of written) console.log(`exported ${w.namespace} to ${w.file}`);
      console.log(`${written.length} namespace(s) exported`);
      return 0;
    }
    const outcomes = await catalog.load(positional[0], options);
    let failed = 0;
    for (const o of outcomes) {
      if (o.status === 'failed') {
        failed++;
        console.error(`failed  ${fileLabel(o.file)}: ${o.reason}`);
      } else {
        const note = o.status === 'skipped' ? ' (exists; --merge to add to it)' : '';
        console.log(`${o.status.padEnd(8)}${o.namespace} from ${fileLabel(o.file)}${note}`);
      }
    }
    const count = (status: string) => outcomes.filter((o) => o.status === status).length;
    console.log(
      `${outcomes.length} file(s): ${count('created')} created, ${count('merged')} merged, ` +
        `${count('replaced')} replaced, ${count('skipped')} skipped, ${failed} failed`,
    );
    return failed ? 1 : 0;
  } finally {
    await dataSource.destroy();
  }
}

main().then(
  (code) => process.exit(code),
  (err: Error) => {
    if (err instanceof ConfigError) console.error(`glint: configuration error: ${err.message}`);
    else console.error(err instanceof CatalogOptionsError ? err.message : `metadefs: ${err.message}`);
    process.exit(err instanceof CatalogOptionsError ? 2 : 1);
  },
);
