// Every rule of the runtime audit, in the order findings are listed. A new finding: its id in finding.ts's
// FINDING_IDS, its rule in the file of its subject, a row in audit.ts's table and in docs/reference.md's findings table.
import type { Rule } from '../finding.js';
import { clockRules } from './clock.js';
import { configFileRules } from './config-file.js';
import { dpsRules } from './dps.js';
import { hubNameRules } from './hub-names.js';
import { resolverRules } from './resolver.js';
import { runtimeRules } from './runtime.js';

export const RULES: readonly Rule[] = [
  ...configFileRules,
  ...hubNameRules,
  ...dpsRules,
  ...runtimeRules,
  ...resolverRules,
  ...clockRules,
];
