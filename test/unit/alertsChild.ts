// Driven by the alerts-across-windows test: one "VS Code window" (a process of its own) on a
// shared data directory. It raises `count` alerts, acknowledging each, then waits until it sees
// the other window's alerts too and acknowledges whatever is still open.
import { AlertService } from '../../src/core/alerts';
import { systemClock } from '../../src/core/clock';

const [dataDir, name, countText, totalText] = process.argv.slice(2);
const count = Number(countText);
const total = Number(totalText);
void (async () => {
  const s = new AlertService({ clock: systemClock, dataDir, onError: (err) => process.stderr.write(`${String(err)}\n`) });
  await s.init();
  for (let i = 0; i < count; i++) {
    const e = await s.raise({ component: `${name}-${i}`, metric: 'm', level: 'WARNING', message: `${name} ${i}` });
    const r = await s.acknowledge(e.alert.id, { by: name });
    if (!r.ok) throw new Error(`${name} could not acknowledge its alert ${i}: ${r.message}`);
  }
  const until = Date.now() + 20_000;
  // tick() re-reads the file when the other window wrote it.
  while ((await s.tick(), s.engine.all().length) < total && Date.now() < until) await new Promise((r) => setTimeout(r, 20));
  await s.acknowledgeAll({ by: name });
  await s.flush();
  process.stdout.write(`${s.engine.all().length}\n`);
})().catch((err) => {
  process.stderr.write(`${err instanceof Error ? err.stack : String(err)}\n`);
  process.exitCode = 1;
});
