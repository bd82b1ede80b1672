import { describeDifferentialPart } from '../support/differential.js';

/** The third of the differential test's parts (test/support/differential.ts), which vitest's workers run side by side. */
describeDifferentialPart(3);
