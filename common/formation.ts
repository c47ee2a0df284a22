/** A process type's scale, as runbooks read and set it. */
export interface ProcessFormation {
  type: string;
  quantity: number;
  size: string;
}

export interface ScaleRequest {
  type: string;
  quantity: number;
  /** Unchanged when omitted. */
  size?: string;
}

export interface ScaleDynosResult {
  runbook: 'scale-dynos';
  app: string;
  environment: string | null;
  /** The formation before the run: what to scale back to. */
  previous: ProcessFormation[];
  /** The formation after it, read back from Heroku. */
  current: ProcessFormation[];
  /** The process types this run changed (empty: it already was as asked). */
  changed: string[];
  operator: string;
  reason: string | null;
  summary: string;
}

export function describeFormation(formation: ProcessFormation[]): string {
  return [...formation]
    .sort((a, b) => a.type.localeCompare(b.type))
    .map((process) => `${process.type}=${process.quantity}:${process.size}`)
    .join(' ');
}

/** Whether a process type is not yet as a scale request asks (sizes compare case-insensitively, as Heroku's do). */
export function differsFrom(process: ProcessFormation | undefined, update: ScaleRequest): boolean {
  return (
    !process ||
    process.quantity !== update.quantity ||
    (update.size !== undefined && update.size.toLowerCase() !== process.size.toLowerCase())
  );
}
