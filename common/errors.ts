// Failure types shared by activities (which throw them) and workflows/clients (which recognise them).
// Each is thrown as a non-retryable ApplicationFailure unless listed as retryable below.
export const FailureTypes = {
  /** The runbook's input failed its schema: nothing was called. */
  InvalidRunbookInput: 'InvalidRunbookInput',
  /** A workflow type the worker does not register (a typo, or the CLI's name typed in the UI): nothing was called. */
  UnknownWorkflowType: 'UnknownWorkflowType',
  /** The environments file is invalid or does not name the environment asked for. */
  RunbookConfigError: 'RunbookConfigError',
  /** 401: the worker's HEROKU_API_KEY is missing, wrong or expired. */
  HerokuUnauthorized: 'HerokuUnauthorized',
  /** 403: the token's account may not do this (or needs two-factor). */
  HerokuForbidden: 'HerokuForbidden',
  /** 404: the app (or other resource) does not exist or is not visible to the token. */
  HerokuNotFound: 'HerokuNotFound',
  /** 422 and other 4xx: Heroku refused the request as given. */
  HerokuRejected: 'HerokuRejected',
  /** 429: out of API budget; retried after a pause. */
  HerokuRateLimited: 'HerokuRateLimited',
  /** The backup asked for does not exist or did not succeed: nothing was changed. */
  BackupUnusable: 'BackupUnusable',
  /** A backup or restore finished without success (Heroku's logs say why). */
  TransferFailed: 'TransferFailed',
  /** Another runbook is changing the app (it holds the app's lock): nothing was started. */
  AppLocked: 'AppLocked',
  /** Disaster recovery: the plan was not approved in time; nothing was changed. */
  NotApproved: 'NotApproved',
  /** Disaster recovery: a second person rejected the plan; nothing was changed. */
  Rejected: 'Rejected',
  /** Disaster recovery failed after changing the app; the message says what state it was left in. */
  DisasterRecoveryFailed: 'DisasterRecoveryFailed',
  /** 5xx or a network failure; retried with backoff. */
  HerokuUnavailable: 'HerokuUnavailable',
  /** The audit trail could not be written: the change it would have recorded was not made. */
  AuditUnavailable: 'AuditUnavailable',
  /** The app's lock ended while this run held it (terminated, or released by someone else): it stopped changing. */
  LockBroken: 'LockBroken',
  /** A backup or restore ran past its deadline: it was cancelled on Heroku. */
  TransferTimedOut: 'TransferTimedOut',
  /** A one-off command exited non-zero (or without an exit status). */
  CommandFailed: 'CommandFailed',
  /** A one-off command ran past its timeout: its dyno was stopped. */
  CommandTimedOut: 'CommandTimedOut',
  /** After scaling, Heroku reports another formation than the one asked for. */
  FormationMismatch: 'FormationMismatch',
  /** After scheduling, Heroku reports another backup schedule than the one asked for. */
  ScheduleMismatch: 'ScheduleMismatch',
  /** After a disaster recovery, the app is not as the plan said it would be. */
  VerificationFailed: 'VerificationFailed',
  /** An approval or rejection was refused (self-approval, a stale plan hash, a run not waiting). */
  ApprovalRefused: 'ApprovalRefused',
  /** An identity proof did not verify (not made for this run or action, expired, revoked, used already). */
  ProofRefused: 'ProofRefused',
  /** The person (or an unverified requester) may not do this here, by the environment's access rules. */
  AccessDenied: 'AccessDenied',
  /** The outside-change reconciler could not look at some apps (Heroku or the trail unavailable): others were. */
  OutsideChangesIncomplete: 'OutsideChangesIncomplete',
  /** A notification's receiver refused it (a 4xx other than 408/429, an SMTP 5xx) or the worker lacks its secret. */
  NotificationRefused: 'NotificationRefused',
  /** A notification could not be delivered this time (5xx, 408, 429, network): retried by Temporal. */
  NotificationUndelivered: 'NotificationUndelivered',
} as const;

export type FailureType = (typeof FailureTypes)[keyof typeof FailureTypes];

/** The message of the failure at the bottom of the chain: the one that says what went wrong. */
export function rootMessage(err: unknown): string {
  const root = causeChain(err).at(-1) as { message?: string } | undefined;
  return root?.message ?? String(err);
}

/** An error and the causes under it, outermost first (Temporal wraps an activity's failure in an ActivityFailure). */
export function causeChain(err: unknown): unknown[] {
  const chain: unknown[] = [];
  for (let current = err; current !== undefined && current !== null && chain.length < 20;) {
    chain.push(current);
    current = typeof current === 'object' ? (current as { cause?: unknown }).cause : undefined;
  }
  return chain;
}
