// edgeHub's (and edgeAgent's) `UpstreamProtocol` decides which ports to IoT Hub (or the parent device) matter.
//
// | UpstreamProtocol | ports      | why                                                                     |
// |------------------|------------|-------------------------------------------------------------------------|
// | Amqp             | 5671       | AMQP over TCP only                                                      |
// | Mqtt             | 8883       | MQTT over TCP only                                                      |
// | AmqpWs / MqttWs  | 443        | WebSockets over HTTPS                                                   |
// | unset            | 5671, 443  | the runtime's default: AMQP, falling back to AMQP over WebSockets       |
//
// The unset row is what `iotedge check` assumes (Azure/iotedge, container_connect_upstream.rs: "default to
// AMQP with fallback to AMQPWS"), and it skips 8883 then, as it skips 443 when Amqp or Mqtt is set.
// Values are matched case-insensitively and anything else means "unset", as edgeHub's own parsing does
// (`Enum.TryParse(..., ignoreCase: true)`, falling back to its default).

export type UpstreamProtocol = 'Amqp' | 'AmqpWs' | 'Mqtt' | 'MqttWs';

const PROTOCOLS: readonly UpstreamProtocol[] = ['Amqp', 'AmqpWs', 'Mqtt', 'MqttWs'];

/** A set value the runtime does not understand; it then uses its default. */
export const UNRECOGNISED = 'unrecognised';

/** Undefined when unset or blank; `unrecognised` for any other text (which is not kept: it is not ours to echo). */
export function parseUpstreamProtocol(value: unknown): UpstreamProtocol | typeof UNRECOGNISED | undefined {
  if (typeof value !== 'string' || value.trim() === '') return undefined;
  const wanted = value.trim().toLowerCase();
  return PROTOCOLS.find((p) => p.toLowerCase() === wanted) ?? UNRECOGNISED;
}

/** The ports the upstream connection uses (table above). A fresh array. */
export function upstreamPorts(protocol: UpstreamProtocol | typeof UNRECOGNISED | undefined): number[] {
  switch (protocol) {
    case 'Amqp':
      return [5671];
    case 'Mqtt':
      return [8883];
    case 'AmqpWs':
    case 'MqttWs':
      return [443];
    default:
      return [5671, 443];
  }
}
