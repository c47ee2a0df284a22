import { existsSync } from 'node:fs';
import path from 'node:path';

/** The repository root, whether this runs from TypeScript sources (tests) or from dist/ (the CLI). */
export const PACKAGE_ROOT = [path.resolve(__dirname, '..'), path.resolve(__dirname, '../..')].find((dir) =>
  existsSync(path.join(dir, 'package.json')),
)!;

export const WORKFLOWS_PATH = path.join(PACKAGE_ROOT, 'workflows');
export const DEFAULT_WORKFLOW_BUNDLE = path.join(PACKAGE_ROOT, 'dist', 'workflow-bundle.js');
export const DEFAULT_RUNBOOK_CONFIG = path.join(PACKAGE_ROOT, 'config', 'environments.json');
