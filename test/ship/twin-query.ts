// The one shape of IoT Hub query the layered deployment's metrics use, read closely enough to run it against
// module twins in a test: `SELECT deviceId FROM devices.modules WHERE moduleId = '<module>' AND <condition>`,
// the condition being `properties.reported.<path> = '<text>'` or `NOT IS_DEFINED(properties.reported.<path>)`
// (IoT Hub query language: https://learn.microsoft.com/azure/iot-hub/iot-hub-devguide-query-language).
// Anything else is refused, so a query that drifts from this shape fails the test instead of passing unread.

export interface ModuleTwin {
  moduleId: string;
  reported: Record<string, unknown>;
}

const QUERY = /^SELECT deviceId FROM devices\.modules WHERE moduleId = '([^']+)' AND (.+)$/;
const EQUALS = /^properties\.reported\.([A-Za-z0-9_.]+) = '([^']*)'$/;
const UNDEFINED = /^NOT IS_DEFINED\(properties\.reported\.([A-Za-z0-9_.]+)\)$/;

/** A predicate over module twins that says whether the query selects the twin's device. */
export function moduleQuery(query: string): (twin: ModuleTwin) => boolean {
  const [, moduleId, condition] = QUERY.exec(query) ?? [];
  if (moduleId === undefined || condition === undefined)
    throw new Error(`not a module query this test reads: ${query}`);
  const equals = EQUALS.exec(condition);
  const undefinedAt = UNDEFINED.exec(condition);
  if (!equals && !undefinedAt) throw new Error(`not a condition this test reads: ${condition}`);
  return (twin) => {
    if (twin.moduleId !== moduleId) return false;
    if (equals) return at(twin.reported, equals[1]!) === equals[2];
    return at(twin.reported, undefinedAt![1]!) === undefined;
  };
}

function at(doc: unknown, path: string): unknown {
  return path
    .split('.')
    .reduce<unknown>(
      (node, key) => (typeof node === 'object' && node !== null ? (node as Record<string, unknown>)[key] : undefined),
      doc,
    );
}
