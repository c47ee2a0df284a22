import { z } from 'zod';

/**
 * Who can use the simulated Heroku: the people besides the service account, the teams they belong to, each team
 * app's collaborators, and the OAuth authorizations whose tokens authenticate requests. Part of the state (so they
 * persist, reset and show in `GET /__simulator/state` with everything else).
 */

const id = z.guid();
const timestamp = z.iso.datetime();

/** Heroku's team app permissions; admins hold all four on every team app. */
export const PERMISSION_NAMES = ['view', 'deploy', 'operate', 'manage'] as const;
export type PermissionName = (typeof PERMISSION_NAMES)[number];

/** The OAuth scopes of the Platform API (reference ui-and-identity §3). */
export const SCOPES = ['global', 'identity', 'read', 'write', 'read-protected', 'write-protected'] as const;
export type Scope = (typeof SCOPES)[number];

/** Team roles as `GET /teams/{team}/members` spells them (the schema's enum, without null). */
export const TEAM_ROLES = ['admin', 'collaborator', 'member', 'owner'] as const;

export const teamMemberSchema = z.object({
  id,
  account_id: id,
  role: z.enum(TEAM_ROLES),
  created_at: timestamp,
  updated_at: timestamp,
});

export const teamSchema = z.object({
  id,
  name: z.string(),
  created_at: timestamp,
  updated_at: timestamp,
  members: z.array(teamMemberSchema),
});

/** A non-admin's access to one app; admins' access follows from their role and is not stored. */
export const collaboratorSchema = z.object({
  id,
  account_id: id,
  permissions: z.array(z.enum(PERMISSION_NAMES)),
  created_at: timestamp,
  updated_at: timestamp,
});

export const authorizationSchema = z.object({
  id,
  account_id: id,
  description: z.string().nullable(),
  scope: z.array(z.enum(SCOPES)).min(1),
  access_token: z.object({ id, token: z.string().min(1) }),
  created_at: timestamp,
  updated_at: timestamp,
  /** Simulated seconds the token was granted for; null: it never expires. */
  expires_in: z.int().nonnegative().nullable(),
  /**
   * The wall-clock instant (ISO, milliseconds) it stops authenticating: `expires_in` simulated seconds after its
   * creation at the speed then in force, fixed at creation like a transfer's milestones.
   */
  expires_at: z.iso.datetime().nullable(),
  /** That speed, so `access_token.expires_in` counts down in simulated seconds. */
  speed: z.number().positive(),
});

export type TeamMemberRecord = z.infer<typeof teamMemberSchema>;
export type TeamRecord = z.infer<typeof teamSchema>;
export type CollaboratorRecord = z.infer<typeof collaboratorSchema>;
export type AuthorizationRecord = z.infer<typeof authorizationSchema>;
