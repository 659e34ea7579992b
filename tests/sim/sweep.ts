import { KNOWN_GAPS, type KnownGap, PLANTED_BUGS, type PlantedBug } from './sim-config.js';
import { World } from './world.js';

/**
 * Many seeds in one process, for long runs and for measuring how fast a planted bug is caught:
 * `npx tsx tests/sim/sweep.ts --from 1 --to 100 [--steps 20000] [--atms 50] [--plant <bug>] [--strict | --strict-gap <gap>]`
 * Prints each failing seed's first line, then one total line. Exit 1 if any seed failed.
 */

function flag(name: string): string | undefined {
  const at = process.argv.indexOf(name);
  return at < 0 ? undefined : process.argv[at + 1];
}

const from = Number(flag('--from') ?? 1);
const to = Number(flag('--to') ?? 20);
const steps = Number(flag('--steps') ?? 20_000);
const atms = Number(flag('--atms') ?? 50);
const plant = flag('--plant') as PlantedBug | undefined;
const onlyGap = flag('--strict-gap') as KnownGap | undefined;
const strict = process.argv.includes('--strict') ? KNOWN_GAPS : onlyGap ? [onlyGap] : undefined;
if (plant !== undefined && !(PLANTED_BUGS as readonly string[]).includes(plant)) {
  process.stderr.write(`sweep: --plant is one of ${PLANTED_BUGS.join(', ')}\n`);
  process.exit(2);
}

let failed = 0;
let totalSteps = 0;
let crashes = 0;
let acked = 0;
let firstFailure: number | null = null;
const totals = new Map<string, number>();
for (let seed = from; seed <= to; seed++) {
  const result = await new World({ seed, atms, steps, plant, strict }).run();
  totalSteps += Number(/steps?=(\d+)/.exec(result.output)?.[1] ?? 0);
  crashes += result.stats.crashes;
  acked += result.stats.acked;
  for (const match of result.output.matchAll(/\b(retention)=(\d+)/g)) {
    const gap = match[1] as string;
    totals.set(gap, (totals.get(gap) ?? 0) + Number(match[2]));
  }
  if (!result.ok) {
    failed++;
    firstFailure ??= seed;
    process.stdout.write(`${result.output.split('\n')[0]}\n`);
  }
}
const gaps = [...totals].map(([gap, n]) => `${gap}=${n}`).join(',');
process.stdout.write(
  `sweep seeds=${from}..${to} steps=${totalSteps} crashes=${crashes} acked=${acked} failed=${failed}` +
    ` first_failing_seed=${firstFailure ?? 'none'} known_gaps=${gaps}${plant ? ` planted=${plant}` : ''}\n`,
);
process.exit(failed > 0 ? 1 : 0);
