// The IoT Plug and Play identity of the module: the model it announces when it connects, and the component
// whose telemetry its output messages are (docs/plug-and-play.md). The model itself is built in
// `interfaces.ts` and written to `model/` for the tools.

/** The root interface: the twin's properties and the direct methods. */
export const MODEL_ID = 'dtmi:privatelinkprobe:PrivateLinkProbe;3';

/** The interface of the `messages` component: every top-level key of the output messages is one of its telemetry. */
export const MESSAGES_INTERFACE_ID = 'dtmi:privatelinkprobe:PrivateLinkProbeMessages;2';

/**
 * The component name the output messages carry in `$.sub`. A component of its own because DTDL allows a name only
 * once per interface, and the messages' `targets` and `edge` are also the names of root properties.
 */
export const MESSAGES_COMPONENT = 'messages';
