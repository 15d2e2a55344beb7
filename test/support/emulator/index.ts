// Loopback edgeHub + aziot workload API emulator, shared by the tests and the demo. See README.md here.
export { startEmulator, type Emulator, type EmulatorOptions, type TwinRequest, type TwinState } from './emulator.js';
export type { CapturedMessage } from './telemetry.js';
export { withProcessEnv } from './process-env.js';
