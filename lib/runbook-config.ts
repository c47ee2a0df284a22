import { readFileSync } from 'node:fs';
import path from 'node:path';
import { RunbookConfig } from '../common/environments';
import { checkInput, describeIssues } from '../common/validation';
import { DEFAULT_RUNBOOK_CONFIG } from './paths';

export class RunbookConfigFileError extends Error {}

export interface LoadedConfig {
  config: RunbookConfig;
  /** The file it came from, as people should see it. */
  source: string;
}

/** Loads and validates the environments file: RUNBOOK_CONFIG, else config/environments.json. */
export function loadRunbookConfig(file = process.env.RUNBOOK_CONFIG || DEFAULT_RUNBOOK_CONFIG): LoadedConfig {
  const source = path.relative(process.cwd(), file) || file;
  let raw: unknown;
  try {
    raw = JSON.parse(readFileSync(file, 'utf8'));
  } catch (err) {
    throw new RunbookConfigFileError(`Cannot read the runbook config ${source}: ${(err as Error).message}`);
  }
  const parsed = checkInput(RunbookConfig, raw);
  if (!parsed.success) {
    throw new RunbookConfigFileError(
      `Invalid runbook config ${source}: ${describeIssues(parsed.error, 'not a setting of the environments file')}`,
    );
  }
  return { config: parsed.data, source };
}
