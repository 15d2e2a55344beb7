// The run's one abort for its steps: every step in flight ends when the caller's signal aborts, a step that starts
// after it ends at once, and a step that ended leaves no listener behind.
import { describe, expect, it } from 'vitest';
import { StepSignals } from '../../src/probe/step-signals.js';
import { boundedStep, type StepOptions } from '../../src/probe/step.js';

const hang = (opts: StepOptions) => boundedStep<void>(opts, () => undefined);
const optsWith = (signal: StepSignals): StepOptions => ({
  timeoutMs: 10_000,
  elapsed: () => performance.now(),
  signal,
});

describe('StepSignals', () => {
  it('aborts every step in flight with the caller, once, and listens on the caller only until closed', async () => {
    const caller = new AbortController();
    const steps = new StepSignals(caller.signal);
    const pending = Array.from({ length: 300 }, () => hang(optsWith(steps)));
    expect(steps.listening).toBe(300);
    caller.abort();
    const ended = await Promise.all(pending);
    expect(ended.map((e) => e.ended.kind)).toEqual(Array(300).fill('aborted'));
    expect(steps.listening).toBe(0);
    expect(steps.aborted).toBe(true);
    // A step that starts after the abort ends at once.
    expect((await hang(optsWith(steps))).ended.kind).toBe('aborted');
    steps.close();
  });

  it('forgets a step that ended on its own, and without a caller never aborts', async () => {
    const steps = new StepSignals(undefined);
    const done = await boundedStep<number>(optsWith(steps), (settle) => settle({ kind: 'done', value: 1 }));
    expect(done.ended).toEqual({ kind: 'done', value: 1 });
    expect(steps.listening).toBe(0);
    expect(steps.aborted).toBe(false);
    steps.close();
  });

  it('stops listening on the caller when closed', async () => {
    const caller = new AbortController();
    const steps = new StepSignals(caller.signal);
    const pending = hang({ ...optsWith(steps), timeoutMs: 50 });
    steps.close();
    caller.abort();
    expect((await pending).ended.kind).toBe('timeout');
  });
});
