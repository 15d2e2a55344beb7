// Defect 6: the SDK parses twin messages with a bare JSON.parse inside its MQTT event handler, so one
// malformed message from the broker is an uncaught exception that kills the module. We wrap that one
// method (it is bound per instance at construction, so patching the prototype covers every client) and
// turn the throw into a notification: the connection then recreates the client and re-reads the twin.
import { MqttTwinClient } from 'azure-iot-device-mqtt/dist/mqtt_twin_client.js';

type Listener = (error: Error) => void;
const listeners = new Set<Listener>();
let installed = false;

interface TwinClientPrototype {
  _onMqttMessage(this: unknown, topic: string, message: Buffer): void;
}

export function guardTwinParser(listener: Listener): () => void {
  listeners.add(listener);
  if (!installed) {
    installed = true;
    // A static import, so the bundle carries the very class the transport uses.
    const prototype = MqttTwinClient.prototype as unknown as TwinClientPrototype;
    const original = prototype._onMqttMessage;
    prototype._onMqttMessage = function guarded(topic, message) {
      try {
        original.call(this, topic, message);
      } catch (e) {
        const error = e instanceof Error ? e : new Error(String(e));
        for (const l of listeners) l(new Error(`on ${topic.split('?')[0]}: ${error.message}`));
      }
    };
  }
  return () => listeners.delete(listener);
}
