// Installs Node 24 into .vscode-test/node24 (once) and prints its path. npm test runs this before
// the unit tests: on Node 20 they write their zstd archives with it (Node 20's zlib has no zstd).
import { ensureNode24 } from './code-server.mjs';

console.log(ensureNode24());
