// A message for an edgeHub output, described without the SDK: the hub layer turns it into an
// azure-iot-device `Message` (data, contentType, contentEncoding, application properties).

export interface OutboundMessage {
  /** UTF-8 JSON text. */
  data: string;
  contentType: 'application/json';
  contentEncoding: 'utf-8';
  /** Application properties: what IoT Hub message routes can filter on without reading the body. */
  properties: Record<string, string>;
}

export function jsonMessage(body: unknown, properties: Record<string, string>): OutboundMessage {
  return { data: JSON.stringify(body), contentType: 'application/json', contentEncoding: 'utf-8', properties };
}
