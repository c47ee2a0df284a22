/** A runbook's steps as the `progress` query reports them: what `runbook status` and the UI show while it runs. */
export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped' | 'compensated';

export interface StepState {
  name: string;
  title: string;
  status: StepStatus;
  /** Workflow time, ISO 8601. */
  startedAt: string | null;
  endedAt: string | null;
  /** One line: "restoring b016: 42 % of 9.6 MB", "already on", or the failure. */
  detail: string | null;
}

export type RunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled';

export interface RunbookProgress {
  runbook: string;
  operator: string;
  app: string | null;
  environment: string | null;
  status: RunStatus;
  currentStep: string | null;
  steps: StepState[];
  /** After a failure or cancellation that changed the app: the state it was left in and the next step. */
  leftState?: string | null;
}

/** What a step's body may say about itself while it runs. */
export interface StepHandle {
  detail(text: string): void;
}
