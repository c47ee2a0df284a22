import { stripVTControlCharacters } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import type { ApprovalState } from '../common/disaster-recovery';
import type { RunbookProgress, StepState } from '../common/progress';
import { approvalQuery, progressQuery } from '../common/messages';
import { waitForRunbook, type RunbookOutcome } from './launch';
import { MARK } from './runs';

// How `runbook run` and `runbook watch` follow a run: by polling its `progress` query (and, while it waits for
// approval, its `approval` query) until the run ends. In a terminal the step table is redrawn in place; piped, each
// step prints one line as it starts and ends, as it always has; with --json nothing is printed while it runs.

/** What the run says about itself at one poll. */
export interface RunSnapshot {
  progress: RunbookProgress | null;
  approval: ApprovalState | null;
}

/** Shows a run's snapshots as they come; `end` gets the last one, read after the run ended. */
export interface ProgressView {
  update(snapshot: RunSnapshot): void;
  end(snapshot: RunSnapshot): void;
}

const POLL_MS = 1000;

/**
 * Polls the run into `view` until it ends, then reads it once more (a closed run's queries are answered from its
 * history) and returns its outcome, with that last look (null for --json, which looks at nothing). A query that finds no worker in time is skipped, not fatal: the outcome matters.
 */
export async function followProgress<R>(
  handle: WorkflowHandle,
  runId: string,
  view: ProgressView | null,
): Promise<{ outcome: RunbookOutcome<R>; last: RunSnapshot | null }> {
  let ended = false;
  let wake: (() => void) | null = null;
  const outcome = waitForRunbook<R>(handle, runId).finally(() => {
    ended = true;
    wake?.();
  });
  if (view) {
    while (!ended) {
      const snapshot = await readSnapshot(handle);
      if (!ended) view.update(snapshot);
      await new Promise<void>((resolve) => {
        wake = resolve;
        setTimeout(resolve, POLL_MS).unref();
      });
    }
  }
  const result = await outcome;
  const last = view ? await readSnapshot(handle) : null;
  if (view && last) view.end(last);
  return { outcome: result, last };
}

async function readSnapshot(handle: WorkflowHandle): Promise<RunSnapshot> {
  // A few seconds at most: without a worker a query waits for the RPC deadline.
  const ask = <T>(query: typeof progressQuery | typeof approvalQuery): Promise<T | null> =>
    handle.client.withDeadline(Date.now() + 5_000, () => handle.query(query as never) as Promise<T>).catch(() => null);
  const progress = await ask<RunbookProgress>(progressQuery);
  // The approval query is ~170 lines of JSON for a recovery: asked only while a step waits for one.
  const approving = progress?.steps.some((step) => step.name === 'approval' && step.status === 'running');
  const approval = approving ? await ask<ApprovalState>(approvalQuery) : null;
  return { progress, approval };
}

/** The view for a terminal (stderr is a TTY), else the plain lines; none for --json. */
export function progressViewFor(
  flags: { json?: boolean },
  workflowId: string,
  stream: NodeJS.WriteStream = process.stderr,
): ProgressView | null {
  if (flags.json) return null;
  return stream.isTTY ? new LiveStepTable(workflowId, stream) : new PlainStepLines(workflowId, stream);
}

/**
 * Piped output: one line per step as it starts and as it ends, so a log reads as a transcript:
 * "▶ Restore the backup — restoring b016: 42 % of 9.59 MB", then "✔ Restore the backup: r005 (succeeded, …)".
 */
export class PlainStepLines implements ProgressView {
  private readonly seen = new Map<string, string>();
  private approvalShown: string | null = null;

  constructor(
    private readonly workflowId: string,
    private readonly stream: NodeJS.WritableStream = process.stderr,
  ) {}

  update({ progress, approval }: RunSnapshot): void {
    for (const step of progress?.steps ?? []) {
      const key = `${step.status}:${step.status === 'running' ? '' : (step.detail ?? '')}`;
      if (step.status === 'pending' || this.seen.get(step.name) === key) continue;
      this.seen.set(step.name, key);
      const detail = step.detail ? `${step.status === 'running' ? ' —' : ':'} ${step.detail}` : '';
      this.stream.write(`  ${MARK[step.status] ?? '?'} ${step.title}${detail}\n`);
    }
    // Once per plan: a new hash (the plan changed) is worth a new line.
    if (approval?.status === 'waiting' && approval.planHash && approval.planHash !== this.approvalShown) {
      this.approvalShown = approval.planHash;
      for (const line of waitingLines(this.workflowId, approval)) this.stream.write(`${line}\n`);
    }
  }

  end(snapshot: RunSnapshot): void {
    this.update(snapshot);
  }
}

/**
 * A terminal: the whole step table, redrawn in place at every poll — each step's mark, elapsed time and detail,
 * then what the run waits for. (Not listr2: its tasks are promises it runs and whose state it decides; this shows
 * a state the workflow decides, where steps appear as they are declared and a finished step may later be undone.)
 */
export class LiveStepTable implements ProgressView {
  private drawn = 0;

  constructor(
    private readonly workflowId: string,
    private readonly stream: NodeJS.WriteStream,
    private readonly now: () => number = Date.now,
  ) {}

  update(snapshot: RunSnapshot): void {
    this.draw(renderLive(this.workflowId, snapshot, { now: this.now(), live: true, color: colorsFor(this.stream) }));
  }

  end(snapshot: RunSnapshot): void {
    // What it waited for is over: the table stays on screen as the run left it.
    this.draw(
      renderLive(
        this.workflowId,
        { ...snapshot, approval: null },
        { now: this.now(), live: false, color: colorsFor(this.stream) },
      ),
    );
  }

  private draw(lines: string[]): void {
    if (lines.length === 0) return;
    // Up to the first line of the last drawing, and clear from there: the table may have grown or shrunk. Long
    // lines wrap (an approve command must stay whole), so count the rows they take, where the width is known.
    const up = this.drawn > 0 ? `\x1b[${this.drawn}F` : '';
    this.stream.write(`${up}\x1b[J${lines.join('\n')}\n`);
    const columns = this.stream.columns || 0;
    this.drawn = lines.reduce(
      (rows, line) =>
        rows + (columns > 0 ? Math.max(1, Math.ceil(stripVTControlCharacters(line).length / columns)) : 1),
      0,
    );
  }
}

interface RenderOptions {
  now: number;
  /** Whether the run is still going: a step still "running" in an ended run was cut off. */
  live: boolean;
  color: boolean;
}

const COLORS: Record<string, number> = {
  succeeded: 32,
  running: 33,
  failed: 31,
  skipped: 90,
  pending: 90,
  compensated: 35,
  stopped: 31,
};

/** The live table's lines: one per step, then what the run waits for. */
export function renderLive(workflowId: string, { progress, approval }: RunSnapshot, options: RenderOptions): string[] {
  const paint = (code: number, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  if (!progress) return [paint(90, '  (waiting for a worker to report the steps…)')];
  const lines = progress.steps.map((step) => {
    const stopped = !options.live && step.status === 'running';
    const mark = stopped ? '■' : (MARK[step.status] ?? '?');
    const took = elapsed(step, options.now);
    const detail = stopped
      ? ': stopped when the run ended'
      : step.detail
        ? `${step.status === 'running' ? ' —' : ':'} ${step.detail}`
        : '';
    const title = step.status === 'pending' ? paint(90, step.title) : step.title;
    return `  ${paint(COLORS[stopped ? 'stopped' : step.status] ?? 0, mark)} ${title}${took ? paint(90, ` (${took})`) : ''}${detail}`;
  });
  if (approval?.status === 'waiting') lines.push(...waitingLines(workflowId, approval));
  return lines;
}

/** What an approval wait needs from a person: the plan's hash first, then the commands, then who may. */
function waitingLines(workflowId: string, approval: ApprovalState): string[] {
  const so = approval.approvals?.map((given) => given.by).join(', ') || 'nobody yet';
  return [
    `  Waiting for approval of plan ${approval.planHash} (requested by ${approval.requester}${approval.expiresAt ? `, until ${approval.expiresAt}` : ''}; approved by ${so})`,
    `    approve: runbook approve ${workflowId}    reject: runbook reject ${workflowId} --reason "…"`,
    `    needs ${approval.needed} verified approver${approval.needed === 1 ? '' : 's'}${approval.approvers ? `: ${approval.approvers}` : ''}`,
    ...(approval.drift ? [`    Note: ${approval.drift}`] : []),
  ];
}

/** How long a step ran, or has been running: "8s", "2m 05s", "1h 02m". */
export function elapsed(step: Pick<StepState, 'status' | 'startedAt' | 'endedAt'>, now: number): string | null {
  if (!step.startedAt) return null;
  const end = step.endedAt ? Date.parse(step.endedAt) : step.status === 'running' ? now : null;
  if (end === null) return null;
  const seconds = Math.max(0, Math.round((end - Date.parse(step.startedAt)) / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m ${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h ${String(minutes % 60).padStart(2, '0')}m`;
}

function colorsFor(stream: NodeJS.WriteStream): boolean {
  if (process.env.NO_COLOR) return false;
  return typeof stream.hasColors === 'function' ? stream.hasColors() : true;
}
