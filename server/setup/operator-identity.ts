import { hostname, userInfo } from 'node:os';

/** Who ran an operator action: the operating-system user and the machine (audited with it). */
export interface OperatorIdentity {
  osUser: string;
  osHost: string;
}

export function operatorIdentity(env: NodeJS.ProcessEnv = process.env): OperatorIdentity {
  let osUser: string;
  try {
    osUser = userInfo().username;
  } catch {
    // A uid without a passwd entry (containers): the environment, else the number.
    osUser = env.USER ?? env.LOGNAME ?? `uid:${process.getuid?.() ?? 'unknown'}`;
  }
  return { osUser, osHost: hostname() };
}
