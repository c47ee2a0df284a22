import { defineQuery } from '@temporalio/workflow';
import type { RunbookProgress } from '../common/progress';

// Message definitions shared by the workflows (which answer them) and the CLI (which sends them).

/** Every runbook answers this: its steps, their status and a one-line detail each. */
export const progressQuery = defineQuery<RunbookProgress>('progress');
