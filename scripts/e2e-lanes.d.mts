// Types of e2e-lanes.mjs for TypeScript callers (tests).

/** Lane 2's specs, as paths under tests/src. */
export const SELF_CONTAINED: readonly string[];

/** A regular expression matching exactly the listed files. */
export function laneTwoPattern(files?: readonly string[]): string;

/** The jest arguments of each lane. */
export function laneArguments(files?: readonly string[]): { one: string[]; two: string[] };
