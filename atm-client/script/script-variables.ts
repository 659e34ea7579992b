import { randomBytes } from 'node:crypto';

/** A short lowercase id for one run, usable inside a user name (`smoke_${RUN_ID}`). */
export function newRunId(): string {
  return randomBytes(6).readUIntBE(0, 6).toString(36).padStart(10, '0').slice(0, 10);
}

/** The variables a script sees: the environment, plus RUN_ID (unless the environment sets it). */
export function scriptVariables(
  env: Readonly<Record<string, string | undefined>>,
  runId: string = newRunId(),
): Record<string, string | undefined> {
  return { ...env, RUN_ID: env.RUN_ID ?? runId };
}
