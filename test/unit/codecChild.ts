// Run by the codec tests under a Node.js that has zstd (Node 24 when the suite runs on Node 20):
// makes one full backup of `dataDir` into `backupsDir` with the codec CODEBASE_GARDENER_CODEC
// names, encrypted with the test key unless `plain`, and prints its record.
import { manager } from './backupFixtures';

const [dataDir, backupsDir, plain] = process.argv.slice(2);

void (async () => {
  const m = manager(dataDir, backupsDir, plain === 'plain' ? null : undefined, { encrypt: plain !== 'plain' });
  await m.init();
  const b = await m.createBackup('FULL');
  process.stdout.write(`${JSON.stringify(b)}\n`);
})().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exit(1);
});
