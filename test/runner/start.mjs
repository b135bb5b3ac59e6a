// `npm start`: builds and packages the extension, installs it into the VS Code that
// code-server serves (installed into .vscode-test/ on first use), and serves it on 127.0.0.1.
// PORT picks the port (default 8080, or a free one if that is taken); FOLDER the folder to open.
import { spawnSync } from 'node:child_process';
import { mkdirSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { cacheDir, root, vsixPath } from './paths.mjs';
import { ensureCodeServer, freePort, installVsix, startCodeServer, waitForHttp, writeUserSettings } from './code-server.mjs';

const r = spawnSync(join(root, 'node_modules', '.bin', 'vsce'), ['package', '--no-dependencies', '--out', vsixPath], { cwd: root, stdio: 'inherit' });
if (r.status !== 0) process.exit(r.status ?? 1);

ensureCodeServer();
const userDataDir = join(cacheDir, 'start-user');
const extensionsDir = join(cacheDir, 'start-extensions');
mkdirSync(extensionsDir, { recursive: true });
if (!existsSync(join(userDataDir, 'User', 'settings.json'))) writeUserSettings(userDataDir);
rmSync(join(extensionsDir, 'extensions.json'), { force: true });
installVsix({ vsix: vsixPath, extensionsDir, userDataDir });

const folder = resolve(process.env.FOLDER ?? join(cacheDir, 'demo-workspace'));
if (!process.env.FOLDER) {
  mkdirSync(folder, { recursive: true });
  writeFileSync(join(folder, 'README.md'), '# Demo workspace\n\nCodebase Gardener keeps its data in `data/` here.\n');
}

const wanted = Number(process.env.PORT ?? 8080);
const port = (await fetch(`http://127.0.0.1:${wanted}/`, { signal: AbortSignal.timeout(500) }).then(() => true, () => false)) ? await freePort() : wanted;
const server = startCodeServer({ port, userDataDir, extensionsDir, stdio: 'inherit' });
await waitForHttp(`http://127.0.0.1:${port}/healthz`);
console.log(`\nCodebase Gardener is running in VS Code at:\n\n  http://127.0.0.1:${port}/?folder=${encodeURIComponent(folder)}\n\nPress Ctrl+C to stop.`);
const stop = () => {
  server.stop();
  process.exit(0);
};
process.on('SIGINT', stop);
process.on('SIGTERM', stop);
server.child.on('exit', (code) => process.exit(code ?? 0));
