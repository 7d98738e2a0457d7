// Types of listener.mjs for TypeScript callers (tests).

/** The pid of the process listening on a local TCP port (IPv4 or IPv6); undefined when none is found or readable. */
export function listeningPid(port: number): number | undefined;
