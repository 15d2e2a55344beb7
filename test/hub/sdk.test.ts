// The switches src/hub/sdk.ts sets on the SDK's libraries when it loads, and that they reach the copies the SDK
// itself uses, in the checkout and in the bundle the image runs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import '../../src/hub/sdk.js';

/** Where `name` resolves from the package that `from` resolved to (Node's resolution, as the SDK's require does). */
function resolveFrom(from: string, name: string): string {
  return createRequire(from).resolve(name);
}

describe("the SDK's MQTT packet writer", () => {
  it('writes packets without its 65,536-Buffer number cache', () => {
    expect(mqttPacket.writeToStream.cacheNumbers).toBe(false);
  });

  it('is the copy mqtt.js loads, so the switch reaches the client the SDK makes', () => {
    const deviceMqtt = resolveFrom(import.meta.filename, 'azure-iot-device-mqtt');
    const mqttBase = resolveFrom(deviceMqtt, 'azure-iot-mqtt-base');
    const mqtt = resolveFrom(mqttBase, 'mqtt');
    expect(resolveFrom(mqtt, 'mqtt-packet')).toBe(resolveFrom(import.meta.filename, 'mqtt-packet'));
  });

  it('is bundled once', () => {
    const meta = JSON.parse(readFileSync(path.resolve('dist/bundle/meta.json'), 'utf8')) as {
      inputs: Record<string, unknown>;
    };
    const copies = new Set(
      Object.keys(meta.inputs)
        .map((input) => /^(.*node_modules\/mqtt-packet)\//.exec(input)?.[1])
        .filter((dir) => dir !== undefined),
    );
    expect([...copies]).toEqual(['node_modules/mqtt-packet']);
  });
});
