// Types of e2e-lanes.mjs for TypeScript callers (tests).

/** Lane 2's specs, as paths under tests/src. */
export const SELF_CONTAINED: readonly string[];

/** The jest arguments of each lane. */
export function laneArguments(): { one: string[]; two: string[] };

/** The spec files named among `args` (absolute paths) and the other arguments; throws naming a named file that is not an e2e spec. */
export function chosenSpecs(args: readonly string[], cwd?: string): { files: string[]; options: string[] };
