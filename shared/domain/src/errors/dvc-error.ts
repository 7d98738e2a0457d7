/**
 * The base of every error the project throws on purpose. `code` is stable and machine-readable
 * (logs, exit paths and tests read it, never the message); `name` is the class's name, so a log
 * line or a stack says which error it is. Messages are for people and may be reworded; codes are
 * not. The table of codes is ARCHITECTURE.md#errors.
 */
export abstract class DvcError extends Error {
  abstract readonly code: string;

  constructor(message?: string, options?: ErrorOptions) {
    super(message, options);
    this.name = new.target.name;
  }
}
