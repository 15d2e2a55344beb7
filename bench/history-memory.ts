// What a full run history costs: 32 targets × HISTORY_RUNS runs, in a fresh process started by bench/run.ts
// with --expose-gc. The runs are built first; then, `with`, the history records every one, or, `without`, it
// does nothing. Prints one JSON line: the growth of the JavaScript heap plus array buffers, and of resident
// memory, across that step, each after garbage collection. The history's cost is `with` minus `without`.
import { DEFAULT_FLAPPING } from '../src/report/flapping.js';
import { HISTORY_RUNS, RunHistory } from '../src/report/history.js';
import type { RunResult, TargetResult } from '../src/probe/types.js';

const TARGETS = 32;
const gc = (globalThis as { gc?: () => void }).gc;
if (!gc) throw new Error('run with --expose-gc');

function target(i: number, run: number): TargetResult {
  const up = (run + i) % 7 !== 0;
  const host = `t${i}.privatelink.azure-devices.net`;
  const tcp = [{ address: '10.1.2.4', port: 443, outcome: 'ok' as const, ms: 3 + (run % 5) }];
  return {
    name: `t${i}`,
    host,
    kind: 'iothub',
    cloud: 'public',
    form: 'privatelink',
    ports: [
      {
        port: 443,
        ok: up,
        code: up ? 'OK' : 'TCP_TIMEOUT',
        reason: '',
        tcp,
        tls: { address: '10.1.2.4', port: 443, servername: host, outcome: 'ok', ms: 12 },
      },
    ],
    dns: {
      answers: [],
      counterpartAnswers: [],
      resolver: 'system',
      addresses: [],
      cname: [],
      private: true,
      mismatch: false,
      ms: 2 + (run % 3),
    },
    status: up ? 'healthy' : 'unhealthy',
    code: up ? 'OK' : 'TCP_TIMEOUT',
    reason: '',
    startedAt: new Date(run * 300_000).toISOString(),
    ms: 20,
  };
}

const settle = () => {
  for (let i = 0; i < 4; i++) gc();
  const m = process.memoryUsage();
  return { js: m.heapUsed + m.arrayBuffers, rss: m.rss };
};

// Every run is built first, in both modes, so what follows measures the history alone: recording into it.
const runs: RunResult[] = Array.from({ length: HISTORY_RUNS }, (_, run) => ({
  runId: String(run),
  startedAt: new Date(run * 300_000).toISOString(),
  durationMs: 20,
  overall: 'healthy',
  targets: Array.from({ length: TARGETS }, (_, i) => target(i, run)),
}));
const keep = process.argv[2] === 'with';
const history = new RunHistory();
const before = settle();
if (keep) for (const run of runs) history.record(run, DEFAULT_FLAPPING);
const after = settle();
if (keep && history.entries('t0').length !== HISTORY_RUNS) throw new Error('history not full');
console.log(
  JSON.stringify({ keep, built: runs.length, jsBytes: after.js - before.js, rssBytes: after.rss - before.rss }),
);
