// What the Temporal UI's "User Metadata" tab shows as a run's current details (Markdown, from the SDK's
// `__temporal_workflow_metadata` query): what the run is, its steps as a table, what it waits for — an approval
// with its plan, hash first, and how to approve from the UI and the CLI — and how it ended, or how it left the app.
// A pure function of the run's state, so it is tested without a server (test/current-details.test.ts).
import type { ApprovalState } from './disaster-recovery';
import type { RunbookProgress, StepState } from './progress';

/** What a run was asked to do, from its input: the UI's own start carries no static summary of it. */
export interface LaunchFacts {
  runbook: string;
  environment?: string;
  app?: string;
  backup?: string;
  reason?: string;
  dryRun?: boolean;
}

/** The result of the last approval or rejection message, so that one sent as a Signal gets an answer too. */
export interface MessageFeedback {
  /** "approval", "rejection" */
  what: string;
  /** Who it came from: a verified email, or "unverified (claims: …)". */
  by: string;
  state: 'checking' | 'accepted' | 'refused';
  /** The refusal's reason, or what the acceptance did. */
  text: string;
  at: string;
  /** Update or Signal. */
  via: 'Update' | 'Signal';
}

export interface DetailsView {
  workflowId: string;
  /** Workflow time. */
  now: Date;
  launch: LaunchFacts;
  progress: RunbookProgress;
  /** The approval gate's state, when the run asks for approval (or did). */
  approval: ApprovalState | null;
  feedback: MessageFeedback | null;
  /** The sentence a run ends with: its result's summary, or its failure. */
  outcome: string | null;
}

const MARKS: Record<StepState['status'], string> = {
  succeeded: '✔',
  running: '▶',
  pending: '·',
  skipped: '–',
  failed: '✘',
  compensated: '↺',
};

/** The current details of a run, as Markdown. */
export function renderCurrentDetails(view: DetailsView): string {
  const { progress } = view;
  const parts = [header(view)];
  if (view.outcome !== null || progress.status !== 'running') parts.push(ending(view));
  const waiting = view.approval?.status === 'waiting' ? approvalSection(view, view.approval) : null;
  if (waiting) parts.push(waiting);
  else if (view.feedback) parts.push(feedbackLine(view.feedback));
  parts.push(stepTable(progress.steps, view.now));
  return parts.join('\n\n');
}

function header({ launch, progress, workflowId }: DetailsView): string {
  const where = progress.app
    ? `${progress.app}${progress.environment ? ` (${progress.environment})` : ''}`
    : (launch.environment ?? launch.app ?? 'no app yet');
  const facts = [
    `**${launch.runbook}${launch.dryRun ? ' (dry run)' : ''}** on **${where}**`,
    `requested by ${progress.operator}`,
    ...(launch.backup ? [`backup ${launch.backup}`] : []),
    `status **${progress.status}**`,
  ];
  const lines = [facts.join(' · ')];
  if (launch.reason) lines.push(`Reason: ${oneLine(launch.reason)}`);
  lines.push(`\`runbook status ${workflowId}\` shows the same from a terminal.`);
  return lines.join('\n\n');
}

function ending({ progress, outcome }: DetailsView): string {
  const lines: string[] = [];
  const headline =
    progress.status === 'succeeded'
      ? '**Succeeded.**'
      : progress.status === 'cancelled'
        ? '**Cancelled.**'
        : '**Failed.**';
  lines.push(`${headline} ${outcome ? oneLine(outcome) : ''}`.trim());
  if (progress.leftState) lines.push(`**How the app was left:** ${oneLine(progress.leftState)}`);
  return lines.join('\n\n');
}

function approvalSection({ workflowId }: DetailsView, state: ApprovalState): string {
  const hash = state.planHash ?? '?';
  const so = state.approvals.map((given) => given.by).join(', ') || 'nobody';
  const lines = [
    `### Waiting for approval — plan hash \`${hash}\``,
    `Requested by ${state.requester}. Needs ${state.needed} verified approver${state.needed === 1 ? '' : 's'}: ${state.approvers ?? 'see the rules'}. Approved so far: ${so}.${state.expiresAt ? ` Ends not approved at ${state.expiresAt}.` : ''}`,
  ];
  if (state.drift) lines.push(`**The plan changed:** ${oneLine(state.drift)}`);
  lines.push(
    [
      `**Approve from this page:** in a terminal with your Heroku login, \`runbook proof approve ${workflowId} --plan-hash ${hash}\` prints a proof (usable once, for 5 minutes); then here **Send an Update** → \`approve\` with:`,
      '',
      '```json',
      `{"planHash": "${hash}", "proof": "<the proof>", "reason": "<why>"}`,
      '```',
    ].join('\n'),
  );
  lines.push(
    `**Or from the CLI:** \`runbook approve ${workflowId}\` (shows this plan, asks, proves who you are). Reject: \`runbook reject ${workflowId} --reason "…"\`, or the Update \`reject\` with \`{"reason": "…", "proof": "<runbook proof reject ${workflowId}>"}\`.`,
  );
  if (state.refused.length > 0) {
    const last = state.refused.at(-1)!;
    lines.push(`Last refused (${last.at}, ${last.by}): ${oneLine(last.why)}`);
  }
  lines.push(['```text', `Plan hash: ${hash}`, state.planText ?? '(no plan text)', '```'].join('\n'));
  return lines.join('\n\n');
}

/** The last approval message's result, when no approval is waiting any more (or the message did not count). */
function feedbackLine(feedback: MessageFeedback): string {
  const state =
    feedback.state === 'checking' ? 'being checked' : feedback.state === 'accepted' ? 'accepted' : 'REFUSED';
  return `Last ${feedback.what} (${feedback.via}, ${feedback.at}, ${feedback.by}): **${state}** — ${oneLine(feedback.text)}`;
}

function stepTable(steps: StepState[], now: Date): string {
  if (steps.length === 0) return '_No steps yet._';
  const rows = steps.map((step) => {
    const detail = step.detail ? cell(step.detail) : '';
    return `| ${MARKS[step.status]} | ${cell(step.title)} | ${elapsed(step, now)} | ${detail} |`;
  });
  return ['| | Step | Elapsed | Detail |', '| --- | --- | --- | --- |', ...rows].join('\n');
}

/** A finished step's duration; a running one's time so far, as of the last update (and since when). */
function elapsed(step: StepState, now: Date): string {
  if (!step.startedAt) return '';
  const start = Date.parse(step.startedAt);
  const end = step.endedAt ? Date.parse(step.endedAt) : now.getTime();
  const text = describeElapsed(Math.max(0, Math.round((end - start) / 1000)));
  return step.endedAt ? text : `${text} (since ${step.startedAt.slice(11, 19)} UTC)`;
}

export function describeElapsed(seconds: number): string {
  if (seconds < 60) return `${seconds} s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes} min ${seconds % 60} s`;
  return `${Math.floor(minutes / 60)} h ${minutes % 60} min`;
}

/** A table cell: one line, no pipes, at most 300 characters. */
function cell(text: string): string {
  const line = oneLine(text).replace(/\|/g, '\\|');
  return line.length <= 300 ? line : `${line.slice(0, 299)}…`;
}

function oneLine(text: string): string {
  return text.replace(/\s*\n\s*/g, ' ').trim();
}
