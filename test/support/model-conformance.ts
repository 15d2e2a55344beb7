// What a module sent through the emulator, held to its Plug and Play model (test/support/dtdl-values.ts): every
// output message as telemetry of the component its `$.sub` names, every reported patch, every direct method's
// answer. The end-to-end tests check it after each test (moduleCleanup), so whatever they make the module send —
// full results, summaries, alerts, acknowledgements, refusals — is checked without a test of its own.
import { commandResponseProblems, loadModel, reportedPatchProblems, telemetryProblems } from './dtdl-values.js';
import type { Emulator } from './emulator/index.js';

export function trafficProblems(emu: Pick<Emulator, 'messages' | 'reportedPatches' | 'methodAnswers'>): string[] {
  const model = loadModel();
  return [
    ...emu.messages.flatMap((m) =>
      telemetryProblems(model, m.systemProperties['$.sub'], m.body).map((p) => `message on ${m.output}: ${p}`),
    ),
    ...emu.reportedPatches.flatMap(({ patch, version }) =>
      reportedPatchProblems(model, patch).map((p) => `reported patch (version ${version}): ${p}`),
    ),
    ...emu.methodAnswers.flatMap((a) =>
      commandResponseProblems(model, a.name, a.status, a.payload).map((p) => `answer to ${a.name}: ${p}`),
    ),
  ];
}
