// A message for an edgeHub output, described without the SDK: the hub layer turns it into an
// azure-iot-device `Message` (data, contentType, contentEncoding, application properties, the component).
import { MESSAGES_COMPONENT } from '../model/ids.js';

export interface OutboundMessage {
  /** UTF-8 JSON text. */
  data: string;
  contentType: 'application/json';
  contentEncoding: 'utf-8';
  /** Application properties: what IoT Hub message routes can filter on without reading the body. */
  properties: Record<string, string>;
  /**
   * The Plug and Play component whose telemetry the body's top-level keys are, sent as `$.sub` (IoT Hub
   * stamps it on the message as `dt-subject`): https://learn.microsoft.com/azure/iot/concepts-convention
   */
  component: string;
}

export function jsonMessage(body: unknown, properties: Record<string, string>): OutboundMessage {
  return {
    data: JSON.stringify(body),
    contentType: 'application/json',
    contentEncoding: 'utf-8',
    properties,
    component: MESSAGES_COMPONENT,
  };
}
