import * as os from 'node:os';

/** The OS user name, for audit records and acknowledgements; "unknown" where it cannot be read. */
export function currentUser(): string {
  try {
    return os.userInfo().username;
  } catch {
    return 'unknown';
  }
}
