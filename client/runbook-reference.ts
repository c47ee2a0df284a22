import { z } from 'zod';
import { RECOVERY_STEPS } from '../common/recovery-steps';
import { RUNBOOKS, isRunbookId, type RunbookId } from '../common/runbooks';
import { editDistance } from '../common/edit-distance';

// What `runbook describe` and `runbook schema` say about a runbook without asking Temporal anything: its steps,
// its inputs (from the same zod schema the CLI's flags and the workflow's input check come from), and the one JSON
// object the Temporal UI's Start Workflow form takes.

export interface StepOutline {
  name: string;
  title: string;
}

const RESOLVE = { name: 'resolve', title: 'Resolve the app' };
const APPROVAL = { name: 'approval', title: 'Approval by a second person (where the environment asks for it)' };

/**
 * The steps each runbook lists up front (pending) in its `progress` query, in order, as its workflow declares them
 * (workflows/*.ts `run.declare`); disaster recovery's come from the table its workflow reads. A changing runbook's
 * `lock` step follows `resolve` (workflows/runbook.ts `declare`). The workflows live in a layer the CLI does not
 * load, so this is a copy: test/cli-live.test.ts compares it with what runs report.
 */
const DECLARED_STEPS: Record<RunbookId, StepOutline[]> = {
  'maintenance-on': maintenanceSteps(true),
  'maintenance-off': maintenanceSteps(false),
  'scale-dynos': [
    RESOLVE,
    { name: 'read', title: 'Record the current formation' },
    { name: 'scale', title: 'Scale the process types' },
    { name: 'verify', title: 'Read the formation back' },
  ],
  'set-config-vars': [
    RESOLVE,
    { name: 'read', title: "Compare with the app's config vars" },
    APPROVAL,
    { name: 'apply', title: 'Set the config vars (Heroku makes a release and restarts the dynos)' },
  ],
  'unset-config-vars': [
    RESOLVE,
    { name: 'read', title: 'Find which of them the app has' },
    APPROVAL,
    { name: 'apply', title: 'Remove the config vars (Heroku makes a release and restarts the dynos)' },
  ],
  'capture-backup': [
    RESOLVE,
    { name: 'database', title: 'Find the database' },
    { name: 'capture', title: 'Capture a backup' },
  ],
  'list-backups': [RESOLVE, { name: 'list', title: 'List backups and restores' }],
  'restore-backup': [
    RESOLVE,
    { name: 'database', title: 'Find the database' },
    { name: 'check-backup', title: 'Check the backup exists and succeeded' },
    APPROVAL,
    { name: 'restore', title: 'Restore the backup into the database' },
  ],
  'schedule-backups': [
    RESOLVE,
    { name: 'database', title: 'Find the database' },
    { name: 'read', title: 'Read the current schedule' },
    { name: 'schedule', title: 'Set the daily backup schedule' },
    { name: 'verify', title: 'Read the schedule back' },
  ],
  'run-command': [
    RESOLVE,
    APPROVAL,
    { name: 'run', title: 'Run the command in a detached one-off dyno and wait for it' },
  ],
  'rebuild-search-index': [
    RESOLVE,
    APPROVAL,
    { name: 'run', title: 'Run the command in a detached one-off dyno and wait for it' },
  ],
  'app-status': [
    RESOLVE,
    { name: 'read', title: 'Read the app, its dynos and add-ons' },
    { name: 'backups', title: 'Read backups and the backup schedule' },
  ],
  'verify-backup-schedule': [
    { name: 'resolve', title: 'Resolve the app and its configured schedule' },
    { name: 'read', title: 'Read the backup schedule' },
  ],
  'disaster-recovery': RECOVERY_STEPS.map(({ name, title }) => ({ name, title })),
};

function maintenanceSteps(on: boolean): StepOutline[] {
  return [
    { name: 'resolve', title: 'Resolve the app and its settings' },
    { name: 'read', title: 'Read the maintenance state' },
    { name: 'platform-flag', title: `Turn Heroku's maintenance flag ${on ? 'on' : 'off'}` },
    { name: 'config-var', title: `${on ? 'Set' : 'Clear'} the maintenance config var` },
  ];
}

/** A runbook's steps in the order its progress lists them (some are skipped when there is nothing to do). */
export function runbookSteps(name: RunbookId): StepOutline[] {
  const declared = DECLARED_STEPS[name];
  if (!RUNBOOKS[name].mutating || declared.some((step) => step.name === 'lock')) return declared;
  const at = declared.findIndex((step) => step.name === 'resolve') + 1;
  return [
    ...declared.slice(0, at),
    { name: 'lock', title: 'Take the app lock (one changing runbook per app)' },
    ...declared.slice(at),
  ];
}

const OPERATOR = { operator: 'alice' };

/**
 * What to paste into the Temporal UI's Start Workflow form (Input, json/plain): one JSON object. Each parses with its
 * runbook's schema (test/cli-live.test.ts). `operator` is only a claim there: the UI sends no proof.
 */
const UI_EXAMPLES: Record<RunbookId, Record<string, unknown>> = {
  'maintenance-on': { environment: 'staging', ...OPERATOR, reason: 'deploying the map fix' },
  'maintenance-off': { environment: 'staging', ...OPERATOR, reason: 'map fix deployed' },
  'scale-dynos': { environment: 'staging', processes: { worker: 0, web: '2:Standard-2X' }, ...OPERATOR },
  'set-config-vars': {
    environment: 'staging',
    generate: { SECRET_KEY: 'django-secret-key' },
    ...OPERATOR,
    reason: 'rotate the Django secret key',
  },
  'unset-config-vars': { environment: 'staging', keys: ['OLD_FEATURE_FLAG'], ...OPERATOR },
  'capture-backup': { environment: 'production', ...OPERATOR, reason: 'before the migration' },
  'list-backups': { environment: 'production', ...OPERATOR },
  'restore-backup': {
    environment: 'production',
    backup: 'b016',
    confirm: 'csis-reconasia-alfa',
    ...OPERATOR,
    reason: 'restore drill',
  },
  'schedule-backups': { environment: 'production', at: '02:00 America/New_York', ...OPERATOR },
  'run-command': { environment: 'staging', command: 'python manage.py migrate --noinput', ...OPERATOR },
  'rebuild-search-index': { environment: 'staging', ...OPERATOR },
  'app-status': { environment: 'production', ...OPERATOR },
  'verify-backup-schedule': { environment: 'production', ...OPERATOR },
  'disaster-recovery': { environment: 'production', backup: 'b016', ...OPERATOR, reason: 'restore drill' },
};

export function uiExample(name: RunbookId): Record<string, unknown> {
  return UI_EXAMPLES[name];
}

/** The input's JSON Schema, as zod makes it (what a caller may send: defaults and optional fields as input). */
export function inputJsonSchema(name: RunbookId): Record<string, unknown> {
  const definition = RUNBOOKS[name];
  const schema = z.toJSONSchema(definition.input, { io: 'input', unrepresentable: 'any' }) as Record<string, unknown>;
  return {
    $schema: schema.$schema,
    title: `${definition.workflowType} input`,
    description: `${name}: ${definition.summary}. Give environment or app (or both, if they agree).`,
    ...schema,
  };
}

export interface InputField {
  field: string;
  type: string;
  required: boolean;
  default: unknown;
  description: string;
}

/** The inputs table: one row per field of the input's JSON Schema. */
export function inputFields(name: RunbookId): InputField[] {
  const schema = inputJsonSchema(name) as {
    properties?: Record<string, JsonSchemaNode>;
    required?: string[];
  };
  return Object.entries(schema.properties ?? {}).map(([field, node]) => ({
    field,
    type: typeOf(node),
    required: (schema.required ?? []).includes(field),
    // zod's defaults are applied by the workflows, from the config: the descriptions say them, "(default 60)".
    default: node.default ?? /\(default:? ([^)]+)\)/.exec(node.description ?? '')?.[1],
    description: node.description ?? '',
  }));
}

interface JsonSchemaNode {
  type?: string | string[];
  enum?: unknown[];
  anyOf?: JsonSchemaNode[];
  oneOf?: JsonSchemaNode[];
  items?: JsonSchemaNode;
  additionalProperties?: JsonSchemaNode | boolean;
  properties?: Record<string, JsonSchemaNode>;
  default?: unknown;
  description?: string;
}

/** A short type for the table: "string", "integer", "string[]", "{name: string}", "django-secret-key|hex-64". */
function typeOf(node: JsonSchemaNode): string {
  if (node.enum) return node.enum.map((value) => String(value)).join('|');
  const union = node.anyOf ?? node.oneOf;
  if (union) return union.map(typeOf).join(' or ');
  if (node.type === 'array') return `${node.items ? typeOf(node.items) : 'any'}[]`;
  if (node.type === 'object') {
    if (node.additionalProperties && typeof node.additionalProperties === 'object')
      return `{name: ${typeOf(node.additionalProperties)}}`;
    if (node.properties) return `{${Object.keys(node.properties).join(', ')}}`;
    return 'object';
  }
  return Array.isArray(node.type) ? node.type.join('|') : (node.type ?? 'any');
}

/** Resolves what an operator typed: a runbook's CLI name, or its workflow type as the Temporal UI knows it. */
export function findRunbook(typed: string): RunbookId | null {
  if (isRunbookId(typed)) return typed;
  const byType = Object.entries(RUNBOOKS).find(([, definition]) => definition.workflowType === typed);
  return byType ? (byType[0] as RunbookId) : null;
}

/**
 * The runbook nearest to `typed`: one whose name or workflow type contains it ("recovery", "maintenance"), else
 * the nearest by edit distance ("maintenance-onn", "scaledynos").
 */
export function closestRunbook(typed: string): RunbookId {
  const wanted = typed.toLowerCase();
  const entries = Object.entries(RUNBOOKS) as [RunbookId, (typeof RUNBOOKS)[RunbookId]][];
  const containing = entries.find(
    ([name, definition]) => name.includes(wanted) || definition.workflowType.toLowerCase().includes(wanted),
  );
  if (wanted.length >= 3 && containing) return containing[0];
  const distance = ([name, definition]: (typeof entries)[number]) =>
    Math.min(editDistance(wanted, name), editDistance(wanted, definition.workflowType.toLowerCase()));
  return entries.reduce((best, entry) => (distance(entry) < distance(best) ? entry : best))[0];
}
