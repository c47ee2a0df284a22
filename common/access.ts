import { z } from 'zod';
import type { Standing } from './identity';

// Who may do what, per environment (the environments file's `access`): rules by Heroku team role, app permission
// and listed emails, for running runbooks and for approving. Evaluated by the workflow with the standing the
// worker read from Heroku (GET /teams/apps/{app}/collaborators, GET /teams/{team}/members).

export const AppPermission = z.enum(['view', 'deploy', 'operate', 'manage']);
export const TeamRole = z.enum(['admin', 'owner', 'member', 'collaborator']);

/** A person satisfies a rule if any one of its conditions holds; `anyone` needs no proven person at all. */
export const PersonRule = z.strictObject({
  anyone: z.boolean().default(false),
  /** Any of these app permissions on the app. */
  permissions: z.array(AppPermission).default([]),
  /** Any of these roles in the app's team. */
  teamRoles: z.array(TeamRole).default([]),
  /** Any of these people, by their Heroku email. */
  emails: z.array(z.string().email()).default([]),
});
export type PersonRule = z.infer<typeof PersonRule>;

/**
 * The runbooks that need a second person's approval where an environment asks for one: they replace data, run
 * arbitrary commands or remove settings. `set-config-vars:replace` is set-config-vars when it replaces a value
 * the app has (adding a new var needs no approval).
 */
export const DESTRUCTIVE_RUNBOOKS = [
  'disaster-recovery',
  'restore-backup',
  'run-command',
  'unset-config-vars',
  'set-config-vars:replace',
] as const;
export const ApprovalSubject = z.enum([...DESTRUCTIVE_RUNBOOKS, 'capture-backup', 'schedule-backups', 'scale-dynos']);

export const AccessSettings = z.strictObject({
  /** The Heroku team whose roles count; default: the team that owns the app. */
  team: z.string().min(1).optional(),
  /** Who may start a runbook that changes the app. Default: app permission operate, or team admin/owner. */
  change: PersonRule.optional(),
  /** Who may start a read-only runbook. Default: anyone (reads change nothing; they are recorded all the same). */
  read: PersonRule.optional(),
  approval: z
    .strictObject({
      /** Which runbooks need a second person. Default: the destructive ones on production, none elsewhere. */
      runbooks: z.array(ApprovalSubject).optional(),
      /** Who may approve. Default: app permission manage, or team admin/owner. */
      approvers: PersonRule.optional(),
      /** How long a step runbook waits for approval (disaster recovery has its own setting). */
      timeoutMinutes: z
        .number()
        .positive()
        .max(7 * 24 * 60)
        .default(60),
    })
    .prefault({}),
});
export type AccessSettings = z.infer<typeof AccessSettings>;

/** Access settings with the environment-dependent defaults decided. */
export interface ResolvedAccess {
  team: string | null;
  change: PersonRule;
  read: PersonRule;
  approval: { runbooks: string[]; approvers: PersonRule; timeoutMinutes: number };
}

const OPERATORS: PersonRule = { anyone: false, permissions: ['operate'], teamRoles: ['admin', 'owner'], emails: [] };
const MANAGERS: PersonRule = { anyone: false, permissions: ['manage'], teamRoles: ['admin', 'owner'], emails: [] };
const ANYONE: PersonRule = { anyone: true, permissions: [], teamRoles: [], emails: [] };

export function resolveAccess(settings: AccessSettings, environment: string | null): ResolvedAccess {
  const production = environment === 'production';
  return {
    team: settings.team ?? null,
    change: settings.change ?? OPERATORS,
    read: settings.read ?? ANYONE,
    approval: {
      runbooks: settings.approval.runbooks ?? (production ? [...DESTRUCTIVE_RUNBOOKS] : []),
      approvers: settings.approval.approvers ?? MANAGERS,
      timeoutMinutes: settings.approval.timeoutMinutes,
    },
  };
}

/** Whether the standing satisfies the rule. */
export function satisfies(rule: PersonRule, standing: Standing | null): boolean {
  if (rule.anyone) return true;
  if (!standing) return false;
  const email = standing.email.toLowerCase();
  return (
    rule.emails.some((listed) => listed.toLowerCase() === email) ||
    rule.permissions.some((permission) => standing.permissions.includes(permission)) ||
    (standing.teamRole !== null && rule.teamRoles.some((role) => role === standing.teamRole))
  );
}

/** "app permission operate on csis-reconasia-alfa, or team role admin/owner in csis-ilab": a rule in words. */
export function describeRule(rule: PersonRule, app: string, team: string | null): string {
  if (rule.anyone) return 'anyone';
  const parts: string[] = [];
  if (rule.permissions.length) parts.push(`app permission ${rule.permissions.join('/')} on ${app}`);
  if (rule.teamRoles.length) parts.push(`team role ${rule.teamRoles.join('/')} in ${team ?? "the app's team"}`);
  if (rule.emails.length) parts.push(`being one of ${rule.emails.join(', ')}`);
  return parts.join(', or ') || 'nobody (the rule lists no one)';
}

/** What a person holds, in words, for a refusal: "view on csis-reconasia-alfa; team role member". */
export function describeStanding(standing: Standing, app: string): string {
  const permissions = standing.permissions.length ? standing.permissions.join(', ') : 'no permission';
  const role = standing.teamRole ? `team role ${standing.teamRole}` : 'not in the team';
  return `${permissions} on ${app}; ${role}`;
}
