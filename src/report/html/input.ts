/**
 * What the HTML report reads from a report: the JSON document of SPEC §4 with the optional parts of §5
 * (explanation, lane origins) and §6 (advice). Every field that is not always there is optional, so the
 * report of today's racecheck (`Report`) fits as it is and the later fields light up when they arrive.
 * The report is untrusted input: nothing here is ever written to the page without escaping.
 */

export interface HtmlSite {
  readonly file: string;
  readonly line: number;
  readonly column: number;
  /** The source line; a site in an access or advice may come without it. */
  readonly text?: string;
}

/** Who created an activity's step: the name of a task or activity (SPEC §5), or that name with its step. */
export type HtmlOrigin = string | { readonly task: string; readonly step?: number };

export interface HtmlTraceStep {
  readonly step: number;
  /** The lane: a scenario task or an activity. */
  readonly task: string;
  readonly kind: string;
  readonly site: HtmlSite | null;
  readonly timer?: { readonly kind: string; readonly delay: number } | undefined;
  /** Present on every entry of an activity's lane. */
  readonly origin?: HtmlOrigin | undefined;
}

export interface HtmlAccess {
  readonly step: number;
  readonly task: string;
  readonly op: string;
  readonly target: string;
  readonly value?: string | undefined;
  readonly site?: HtmlSite | null | undefined;
}

export interface HtmlExplanation {
  readonly summary: string;
  readonly pattern?: string | undefined;
  readonly accesses?: readonly HtmlAccess[] | undefined;
}

export interface HtmlAdvice {
  readonly code: string;
  readonly message: string;
  readonly lock?: HtmlSite | null | undefined;
  readonly locks?: readonly HtmlSite[] | undefined;
  readonly sites?: readonly HtmlSite[] | undefined;
  readonly violation?: { readonly kind: string; readonly message: string; readonly replay?: string | undefined } | undefined;
  readonly search?: { readonly schedules: number; readonly complete: boolean } | undefined;
}

export interface HtmlViolation {
  readonly kind: string;
  readonly message: string;
  readonly run: number;
  readonly seed: number;
  readonly step?: number | undefined;
  readonly strategy?: string | undefined;
  readonly preemptions?: number | undefined;
  readonly shrunk?: boolean | undefined;
  readonly shrinkRuns?: number | undefined;
  readonly replay?: string | undefined;
  readonly command: string;
  readonly trace: readonly HtmlTraceStep[];
  readonly blocked?: readonly { readonly task: string; readonly sites: readonly HtmlSite[] }[] | undefined;
  readonly stack?: string | undefined;
  readonly reproduced?: { readonly tries: number; readonly failed: number } | undefined;
  /** `null`: nothing could be tracked; absent: the report predates explanations. */
  readonly explanation?: HtmlExplanation | null | undefined;
}

export interface HtmlSearch {
  readonly strategy: string;
  readonly schedules: number;
  readonly complete: boolean;
  readonly maxPreemptions?: number | undefined;
  readonly nondeterministic?: boolean | undefined;
  /** Where a run first stopped fitting recorded choices: nondeterminism, or a replay after a change. */
  readonly divergedAt?: { readonly run: number; readonly step: number; readonly site: { readonly file: string; readonly line: number; readonly column: number } | null; readonly earlierRunTimers?: true } | undefined;
}

export interface HtmlScenario {
  readonly id: string;
  readonly file: string;
  readonly name: string;
  readonly status: 'pass' | 'fail' | 'error';
  readonly runs: number;
  readonly steps: number;
  readonly durationMs: number;
  readonly search?: HtmlSearch | undefined;
  readonly violation: HtmlViolation | null;
  readonly error?: { readonly message: string } | undefined;
  readonly advice?: readonly HtmlAdvice[] | undefined;
  readonly interrupted?: boolean | undefined;
}

export interface HtmlReportInput {
  readonly schemaVersion: number;
  readonly tool: { readonly name: string; readonly version: string };
  readonly seed: number;
  readonly scenarios: readonly HtmlScenario[];
  readonly summary: {
    readonly scenarios: number;
    readonly passed: number;
    readonly failed: number;
    readonly errors: number;
    readonly durationMs: number;
  };
  readonly interrupted?: boolean | undefined;
}
