// Telemetry as edgeHub receives it from a module over MQTT:
// `devices/<d>/modules/<m>/messages/events/<property bag>[/]`, where the SDK writes system properties
// (`$.on` output name, `$.ct`, `$.ce`, `$.mid`, ...) with querystring encoding, then application properties
// as encodeURIComponent(key)=encodeURIComponent(value) joined by '&' (azure-iot-device-mqtt
// _getEventTopicFromMessage).

export interface CapturedMessage {
  /** `$.on`: the module output the message was sent on; undefined for sendEvent (no output). */
  output: string | undefined;
  /** The payload parsed as JSON when it is JSON, else the UTF-8 string. */
  body: unknown;
  contentType: string | undefined;
  contentEncoding: string | undefined;
  /** Every `$.`-prefixed system property as sent (`$.on`, `$.ct`, `$.ce`, `$.mid`, ...). */
  systemProperties: Record<string, string>;
  /** Application properties (`message.properties`). */
  properties: Record<string, string>;
  /** The raw MQTT topic. */
  topic: string;
  /** Payload size in bytes. */
  size: number;
}

function decode(part: string): string {
  try {
    return decodeURIComponent(part);
  } catch {
    return part;
  }
}

/** The events-topic prefix of one module; telemetry topics start with it. */
export function moduleEventsPrefix(deviceId: string, moduleId: string): string {
  return `devices/${deviceId}/modules/${moduleId}/messages/events/`;
}

/** Decodes a telemetry publish whose topic starts with `prefix` (see moduleEventsPrefix). */
export function decodeTelemetry(prefix: string, topic: string, payload: Buffer): CapturedMessage {
  const bag = topic.slice(prefix.length).replace(/\/$/, '');
  // Null prototypes: a property may be called "__proto__" and must still be recorded as sent.
  const systemProperties = Object.create(null) as Record<string, string>;
  const properties = Object.create(null) as Record<string, string>;
  for (const pair of bag.split('&')) {
    if (pair === '') continue;
    const eq = pair.indexOf('=');
    const key = decode(eq < 0 ? pair : pair.slice(0, eq));
    const value = eq < 0 ? '' : decode(pair.slice(eq + 1));
    if (key.startsWith('$.')) systemProperties[key] = value;
    else properties[key] = value;
  }
  const text = payload.toString('utf8');
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: keep the string
  }
  return {
    output: systemProperties['$.on'],
    body,
    contentType: systemProperties['$.ct'],
    contentEncoding: systemProperties['$.ce'],
    systemProperties,
    properties,
    topic,
    size: payload.length,
  };
}
