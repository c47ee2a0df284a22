import { ApplicationFailure } from '@temporalio/common';
import type { DatabaseRef } from '../common/backups';
import { FailureTypes } from '../common/errors';
import type { PlatformApi } from './heroku/platform-api';

interface ResolvedAttachment {
  name: string;
  addon: { id: string; name: string; app: { id: string; name: string }; plan?: { name?: string } };
}

/** Finds the Heroku Postgres database behind an attachment (DATABASE_URL by default), as the CLI does (§4.4). */
export function databaseActivities(heroku: PlatformApi) {
  return {
    async resolveDatabase({
      app,
      attachment = 'DATABASE_URL',
    }: {
      app: string;
      attachment?: string;
    }): Promise<DatabaseRef> {
      const matches = await heroku.request<ResolvedAttachment[]>('POST', '/actions/addon-attachments/resolve', {
        body: { addon_attachment: attachment, app },
        headers: { Accept: 'application/vnd.heroku+json; version=3.sdk', 'Accept-Inclusion': 'addon:plan,config_vars' },
      });
      const postgres = matches.filter((match) => match.addon.plan?.name?.startsWith('heroku-postgresql:'));
      if (postgres.length !== 1) {
        throw ApplicationFailure.create({
          type: FailureTypes.HerokuNotFound,
          nonRetryable: true,
          message:
            postgres.length === 0
              ? `${attachment} on ${app} is not a Heroku Postgres database. Check the attachment name (\`heroku addons -a ${app}\`).`
              : `${attachment} on ${app} matches ${postgres.length} databases; name one attachment exactly.`,
        });
      }
      const [{ name, addon }] = postgres;
      return {
        addonId: addon.id,
        addonName: addon.name,
        appId: addon.app.id,
        appName: addon.app.name,
        attachment: name,
        plan: addon.plan?.name ?? 'heroku-postgresql',
      };
    },
  };
}
