// The switches src/hub/sdk.ts sets on the SDK's libraries when it loads, and that they reach the copies the SDK
// itself uses, in the checkout and in the bundle the image runs.
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import path from 'node:path';
import { Writable } from 'node:stream';
import v8 from 'node:v8';
import vm from 'node:vm';
import mqttPacket from 'mqtt-packet';
import { describe, expect, it } from 'vitest';
import '../../src/hub/sdk.js';

v8.setFlagsFromString('--expose-gc');
const gc = vm.runInNewContext('gc') as () => void;

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

  it('keeps only a few bytes for each packet length it caches, not a block of the Buffer pool each', async () => {
    // mqtt-packet caches the length prefix of every packet size under 16,384 it writes, for good. A module's
    // messages vary by a few bytes from run to run, with the process's other Buffers in between: here 2,000
    // sizes, each after enough small allocations to move the pool on to a new block.
    const sink = new Writable({ write: (_chunk, _encoding, done) => done() });
    // V8 frees the memory of collected ArrayBuffers on a background thread after the collection.
    const arrayBuffers = async () => {
      gc();
      await new Promise((resolve) => setTimeout(resolve, 100));
      gc();
      return process.memoryUsage().arrayBuffers;
    };
    const before = await arrayBuffers();
    for (let size = 4_000; size < 6_000; size++) {
      for (let i = 0; i < 4; i++) Buffer.from('x'.repeat(3_000));
      mqttPacket.writeToStream(
        { cmd: 'publish', qos: 0, dup: false, retain: false, topic: 't', payload: Buffer.alloc(size) },
        sink,
      );
    }
    await new Promise(setImmediate); // writeToStream corks the stream until the next tick
    // Pool blocks pinned by the cache would hold 2,000 × 8 KB (Node 20, 22) or 64 KB (Node 24).
    expect((await arrayBuffers()) - before).toBeLessThan(1_000_000);
  });
});
