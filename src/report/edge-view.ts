// The part of the edge runtime audit (src/edge/audit.ts) that the reports carry. The audit also computes
// automatic targets, resolvers and upstream ports for the engine; the reports need only this much.
import type { EdgeAudit } from '../edge/audit.js';

export type { EdgeFinding } from '../edge/audit.js';

export type EdgeAuditView = Pick<EdgeAudit, 'configToml' | 'provisioning' | 'upstream' | 'findings'>;
