/**
 * node scripts/profile/historicalQueries.mjs LOG.db [unused|committee] [BUILD=dist]
 *
 * The reports bench's 100 historical views (a day apart from 2018-01-02) on a generated log, with
 * each query's wall time: the first five, the median and three slowest of those after the tenth,
 * and the total CPU. Run it with `--trace-gc` or `--trace-deopt` to see what a slow query is made
 * of (docs/scale.md, "What the p99 is made of"); PREWARM=n first asks n other views, untimed.
 * Make the log with `node dist/scripts/bench/workload.js replay-generate DIR 0 1000000`.
 */
const [logFile, which = 'unused', build = 'dist'] = process.argv.slice(2);
if (logFile === undefined) {
  console.error('usage: node scripts/profile/historicalQueries.mjs LOG.db [unused|committee] [BUILD=dist]');
  process.exit(2);
}
const root = new URL('../../', import.meta.url);
const { SqliteEventStore } = await import(new URL(`${build}/src/store/sqlite/sqliteEventStore.js`, root).href);
const { Ledger } = await import(new URL(`${build}/src/app/ledger.js`, root).href);
const store = new SqliteEventStore(logFile);
const ledger = new Ledger(store);
await ledger.start();
await ledger.whenWarm();
const past = (i) => {
  const day = new Date(Date.UTC(2018, 0, 1) + (i % 700) * 86_400_000).toISOString();
  return { asOf: day.slice(0, 10), knownAt: day };
};
const query = (i) => (which === 'unused' ? ledger.unusedGrants(i % 2 === 0 ? {} : { status: 'expired' }, past(i)) : ledger.committeeResults({}, past(i)));
query(0);
for (let k = 0; k < Number(process.env.PREWARM ?? 0); k += 1) query(400 + k * 37);
const wall = [];
const cpuBefore = process.cpuUsage();
for (let i = 1; i <= 100; i += 1) {
  const started = performance.now();
  query(i);
  wall.push(performance.now() - started);
}
const cpu = process.cpuUsage(cpuBefore);
const later = wall.slice(10).sort((a, b) => b - a);
const ms = (values) => values.map((value) => value.toFixed(1)).join(', ');
console.log(
  `${which}: total ${ms([wall.reduce((a, b) => a + b, 0)])} ms, CPU ${ms([(cpu.user + cpu.system) / 1000])} ms; first five ${ms(wall.slice(0, 5))}; after the tenth: median ${ms([later[Math.floor(later.length / 2)]])}, slowest ${ms(later.slice(0, 3))}`,
);
await ledger.stop();
await store.close();
