// The demo's story, told by driving the module the way an operator does — desired properties and the
// runNow direct method — and waiting, step by step, until what the module wrote (twin and telemetry) shows
// the outcome. The screen shows what the module says, not what the story expects.
import type { TelemetryBody } from '../src/report/telemetry.js';
import type { Emulator } from '../test/support/emulator/index.js';
import type { Narration } from './frame.js';
import { acknowledgements, alertMessages, reportedStatus, reportedTargets, resultMessages } from './observed.js';
import {
  ACR_ENDPOINT,
  ACR_PRIVATE,
  ACR_PUBLIC,
  BLOB,
  BLOB_PUBLIC_ADDRESS,
  HUB,
  HUB_ENDPOINT,
  INTERVAL_SECONDS,
} from './scene.js';

/** Generous: a step takes a second or two (a run is bounded by 5 × timeoutMs). */
const STEP_MS = 30_000;
const STEPS = 4;

export interface StoryDisplay {
  /** A new step begins. */
  narrate(narration: Narration): void;
  /** The step's outcome is in the twin and the telemetry. */
  settled(): void;
}

/** Resolves once the run's message arrived and the twin and the alerts agree with it. */
export async function settledRun(emu: Emulator, runId: string, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  await emu.waitFor(
    () => {
      const body = resultMessages(emu.messages).find((m) => m.body.runId === runId)?.body;
      if (!body) return false;
      const twin = new Map(reportedTargets(emu.twin.reported));
      const alerts = alertMessages(emu.messages);
      // Each target's latest alert is its verdict now (a change always sends one), so all alerts are in.
      const latestAlert = (name: string) => alerts.findLast((a) => a.target === name);
      return (
        reportedStatus(emu.twin.reported)?.overall === body.overall &&
        body.targets.every((t) => twin.get(t.name)?.code === t.code && latestAlert(t.name)?.code === t.code)
      );
    },
    STEP_MS,
    `run ${runId} in the twin and the telemetry`,
  );
}

/** Patches the desired properties and waits for the module to acknowledge every key with ac 200. */
async function applyDesired(emu: Emulator, patch: Record<string, unknown>, signal: AbortSignal): Promise<void> {
  signal.throwIfAborted();
  emu.patchDesired(patch);
  const version = emu.twin.desiredVersion;
  const keys = Object.keys(patch);
  const acks = await emu.waitFor(
    () => {
      const byKey = new Map(acknowledgements(emu.twin.reported));
      return keys.every((k) => byKey.get(k)?.av === version) && byKey;
    },
    STEP_MS,
    `the acknowledgement of desired version ${version}`,
  );
  const rejected = keys.find((k) => acks.get(k)!.ac !== 200);
  if (rejected !== undefined)
    throw new Error(`the module rejected desired version ${version}: ${acks.get(rejected)!.ad}`);
}

/** The runNow direct method: a run now rather than at the interval's end. Resolves with its runId. */
async function runNow(emu: Emulator, signal: AbortSignal): Promise<string> {
  signal.throwIfAborted();
  const answer = await emu.invokeMethod('runNow', {}, STEP_MS);
  if (answer.status !== 200) throw new Error(`runNow answered ${answer.status}: ${JSON.stringify(answer.payload)}`);
  return (answer.payload as TelemetryBody).runId;
}

export async function playStory(
  emu: Emulator,
  display: StoryDisplay,
  options: { once: boolean; signal: AbortSignal },
): Promise<void> {
  const { signal } = options;
  const step = (n: number, title: string, paragraphs: string[]) =>
    display.narrate({ step: n, of: STEPS, title, paragraphs });

  step(1, 'A healthy hub', [
    `edgeAgent's environment names the hub, IOTEDGE_IOTHUBHOSTNAME=${HUB}, with UpstreamProtocol=Mqtt: the module probes it on 8883 as its automatic target "iothub", and the hub's private endpoint answers at ${HUB_ENDPOINT.address}:${HUB_ENDPOINT.port}.`,
    'After TLS the probe sends an MQTT CONNECT without a password: the CONNACK 5 (not authorized) that comes back proves MQTT itself gets through, not only TLS — a firewall that filters by application would show APP_BLOCKED here.',
  ]);
  const first = await emu.waitFor(() => resultMessages(emu.messages)[0], STEP_MS, "the module's first run");
  await settledRun(emu, first.body.runId, signal);
  display.settled();

  step(2, 'The operator adds a Blob account and a container registry', [
    `Desired properties add targets.blob = ${BLOB} and targets.acr = ${ACR_PRIVATE} with ports "${ACR_ENDPOINT.port}" (ACR serves 443 in Azure, which needs root here; ${ACR_ENDPOINT.port}, https-alt, is a port the probe speaks TLS on).`,
    `The module acknowledges them, then the demo calls the runNow direct method rather than wait ${INTERVAL_SECONDS} s. The Blob name resolves to the public ${BLOB_PUBLIC_ADDRESS}: the probe says so and does not connect there.`,
  ]);
  await applyDesired(
    emu,
    { targets: { blob: { host: BLOB }, acr: { host: ACR_PRIVATE, ports: String(ACR_ENDPOINT.port) } } },
    signal,
  );
  await settledRun(emu, await runNow(emu, signal), signal);
  display.settled();

  step(3, "Following the reason's advice for ACR", [
    `Desired patch: targets.acr.host = ${ACR_PUBLIC}, whose CNAME leads to the privatelink name (the same private endpoint), and hostnamePolicy = any, since under the default, privatelink, a public name is itself flagged HOSTNAME_POLICY (degraded).`,
    "Watch the acknowledgements (ac 200, av = the new desired $version) and acr's alert from unhealthy to healthy.",
  ]);
  await applyDesired(emu, { hostnamePolicy: 'any', targets: { acr: { host: ACR_PUBLIC } } }, signal);
  await settledRun(emu, await runNow(emu, signal), signal);
  display.settled();

  step(4, 'Blob stays red: the fix is in DNS, not in the module', [
    'Link the private DNS zone privatelink.blob.core.windows.net to the virtual network, or make the on-premises resolver forward blob.core.windows.net to the Azure DNS Private Resolver; the next run then turns blob green by itself.',
    options.once
      ? 'End of the story (--once).'
      : `The module keeps probing every ${INTERVAL_SECONDS} s and this screen follows its twin and telemetry. Ctrl-C stops everything.`,
  ]);
  display.settled();
}
