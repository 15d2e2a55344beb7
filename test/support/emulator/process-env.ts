// azure-iot-device's ModuleClient.fromEnvironment reads process.env and nothing else. It reads every
// variable synchronously (before its first await), so an in-process test can lend it an environment for
// the duration of the call and give the real one back at once.

/** Every variable fromEnvironment consults; all are cleared while `fn` runs so none leaks in. */
const SDK_VARIABLES = [
  'EdgeHubConnectionString',
  'IotHubConnectionString',
  'EdgeModuleCACertificateFile',
  'IOTEDGE_WORKLOADURI',
  'IOTEDGE_IOTHUBHOSTNAME',
  'IOTEDGE_GATEWAYHOSTNAME',
  'IOTEDGE_DEVICEID',
  'IOTEDGE_MODULEID',
  'IOTEDGE_MODULEGENERATIONID',
  'IOTEDGE_AUTHSCHEME',
  'IOTEDGE_APIVERSION',
];

/** Runs `fn` synchronously with `env` as the SDK's environment, then restores process.env. */
export function withProcessEnv<T>(env: Record<string, string>, fn: () => T): T {
  const keys = [...new Set([...SDK_VARIABLES, ...Object.keys(env)])];
  const saved = new Map(keys.map((key) => [key, process.env[key]]));
  for (const key of keys) delete process.env[key];
  Object.assign(process.env, env);
  try {
    return fn();
  } finally {
    for (const [key, value] of saved) {
      if (value === undefined) delete process.env[key];
      else process.env[key] = value;
    }
  }
}
