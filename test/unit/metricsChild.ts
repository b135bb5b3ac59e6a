// Driven by the metric history crash test: appends a sample every few hundred microseconds,
// one second of simulated time apart, until it is killed with SIGKILL.
import { MetricHistory } from '../../src/core/metrics';

const [dir, start] = process.argv.slice(2);
const h = new MetricHistory(dir);
let t = Number(start);
process.stdout.write('ready\n');
for (;;) {
  h.append({ t, cpu: (t / 1000) % 100, memory: 50, disk: 40, responseMs: 12, score: 100 });
  t += 1000;
}
