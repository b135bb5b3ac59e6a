import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as http from 'node:http';
import * as net from 'node:net';
import * as path from 'node:path';
import { runProbe, healthSettingsFrom } from '../../src/core/health';
import { tempDir, validated } from './fixtures';

function listen(server: http.Server | net.Server): Promise<number> {
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve((server.address() as net.AddressInfo).port)));
}

async function closedPort(): Promise<number> {
  const s = net.createServer();
  const port = await listen(s);
  await new Promise((r) => s.close(r));
  return port;
}

describe('component probes against real servers, ports and paths', () => {
  let server: http.Server;
  let port: number;
  before(async () => {
    server = http.createServer((req, res) => {
      if (req.url === '/slow') {
        setTimeout(() => res.end('late'), 600);
      } else if (req.url === '/redirect') {
        res.writeHead(302, { location: '/' }).end();
      } else if (req.url === '/broken') {
        res.writeHead(500).end();
      } else {
        res.end('ok');
      }
    });
    port = await listen(server);
  });
  after(() => {
    server.closeAllConnections();
    server.close();
  });

  it('http: a 200 passes with a measured response time', async () => {
    const r = await runProbe({ kind: 'http', name: 'dev', url: `http://127.0.0.1:${port}/` });
    assert.equal(r.ok, true);
    assert.equal(r.message, 'HTTP 200 OK');
    assert.ok(r.responseTimeMs >= 0 && r.responseTimeMs < 1000);
  });

  it('http: a redirect (3xx) passes, a 500 fails', async () => {
    assert.equal((await runProbe({ kind: 'http', name: 'r', url: `http://127.0.0.1:${port}/redirect` })).ok, true);
    const bad = await runProbe({ kind: 'http', name: 'b', url: `http://127.0.0.1:${port}/broken` });
    assert.equal(bad.ok, false);
    assert.match(bad.message, /^HTTP 500/);
  });

  it('http: a server slower than the timeout fails at the timeout', async () => {
    const r = await runProbe({ kind: 'http', name: 'slow', url: `http://127.0.0.1:${port}/slow`, timeoutMs: 150 });
    assert.equal(r.ok, false);
    assert.equal(r.message, 'no response within 150 ms');
    assert.ok(r.responseTimeMs >= 140 && r.responseTimeMs < 550, `took ${r.responseTimeMs} ms`);
  });

  it('http: a closed port fails as connection refused', async () => {
    const r = await runProbe({ kind: 'http', name: 'gone', url: `http://127.0.0.1:${await closedPort()}/` });
    assert.equal(r.ok, false);
    assert.equal(r.message, 'connection refused');
  });

  it('tcp: an open port passes, a closed one fails', async () => {
    assert.equal((await runProbe({ kind: 'tcp', name: 'open', host: '127.0.0.1', port })).ok, true);
    const r = await runProbe({ kind: 'tcp', name: 'closed', host: '127.0.0.1', port: await closedPort() });
    assert.equal(r.ok, false);
    assert.equal(r.message, 'connection refused');
  });

  it('path: an existing writable folder passes; a missing one fails unless it may be created', async () => {
    const dir = tempDir();
    assert.deepEqual((await runProbe({ kind: 'path', name: 'd', path: dir })).message, 'folder exists and is writable');
    const missing = path.join(dir, 'not', 'yet');
    const r1 = await runProbe({ kind: 'path', name: 'm', path: missing });
    assert.equal(r1.ok, false);
    assert.equal(r1.message, 'does not exist');
    const r2 = await runProbe({ kind: 'path', name: 'm', path: missing, mustExist: false });
    assert.equal(r2.ok, true);
    assert.equal(r2.message, `not created yet; ${dir} is writable`);
    fs.writeFileSync(path.join(dir, 'f'), '');
    assert.equal((await runProbe({ kind: 'path', name: 'f', path: path.join(dir, 'f') })).message, 'file exists and is writable');
  });

  it('an internal check that throws fails instead of throwing', async () => {
    const r = await runProbe({
      kind: 'internal',
      name: 'boom',
      check: () => {
        throw new Error('exploded');
      },
    });
    assert.equal(r.ok, false);
    assert.equal(r.message, 'probe failed: exploded');
  });

  it('settings: invalid probe entries are dropped by package.json\'s schema, one reason each naming their index; a name used twice keeps the first', () => {
    const { values, problems } = validated({
      'codebaseGardener.probes': [
        { name: 'Dev', kind: 'http', url: 'http://127.0.0.1:3000' },
        { name: 'Bad port', kind: 'tcp', host: 'localhost', port: 70000 },
        { kind: 'path', path: '/tmp' },
        { name: 'Dev', kind: 'path', path: '/tmp' },
        { name: 'Ftp', kind: 'http', url: 'ftp://x' },
        { name: 'What', kind: 'udp' },
        { name: 'No url', kind: 'http' },
      ],
    });
    const messages = problems.map((p) => p.message);
    assert.equal(messages.length, 5, messages.join('\n'));
    assert.match(messages[0], /^codebaseGardener\.probes\[1\] is \{"name":"Bad port".*\}, but its port must be at most 65535; it is left out\.$/);
    assert.match(messages[1], /^codebaseGardener\.probes\[2\] is .*, but it needs "name"; it is left out\.$/);
    assert.match(messages[2], /^codebaseGardener\.probes\[4\] is .*, but its url must match pattern "\^https\?:\/\/"; it is left out\.$/);
    assert.match(messages[3], /^codebaseGardener\.probes\[5\] is .*, but its kind must be one of "http", "tcp", "path"; it is left out\.$/);
    assert.match(messages[4], /^codebaseGardener\.probes\[6\] is .*, but it needs "url"; it is left out\.$/);
    const found: string[] = [];
    const health = healthSettingsFrom(values, found);
    assert.deepEqual(health.probes.map((p) => `${p.name}:${p.kind}`), ['Dev:http']);
    assert.deepEqual(found, ['codebaseGardener.probes: the name "Dev" is used by two probes; the second is left out.']);
  });
});
