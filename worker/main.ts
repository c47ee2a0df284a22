import { Command } from 'commander';
import { Client } from '@temporalio/client';
import { Runtime } from '@temporalio/worker';
import { AuditSigner } from '../lib/audit/audit-keys';
import { openAuditLog } from '../lib/audit/open-audit-log';
import { pollingFromEnv } from '../activities/backups';
import { herokuConnectionFromEnv, type HerokuConnection } from '../activities/heroku/connection';
import { PlatformApi } from '../activities/heroku/platform-api';
import {
  apiBudgetSettingsFromEnv,
  describeApiBudget,
  openApiBudget,
  type ApiBudget,
  type ApiBudgetSettings,
} from '../lib/api-budget/open-api-budget';
import { SealingKeys } from '../lib/sealing';
import type pino from 'pino';
import { createLogger, temporalLogger } from './logger';
import { loadRunbookConfig } from '../lib/runbook-config';
import { createRunbookWorker } from './worker';
import { temporalSettingsFromEnv } from '../lib/temporal-settings';
import { connectWorkerToTemporal } from './temporal-connection';
import { checkHerokuAccount, checkSearchAttributes } from './startup-checks';
import { DEFAULT_RECONCILE_INTERVAL_MS, EndReconciler } from './end-reconciler';
import { millisecondsFromEnv } from '../lib/env-settings';
import {
  ensureOutsideChangesSchedule,
  outsideChangesEveryFromEnv,
  outsideChangesLookbackFromEnv,
} from './outside-changes-schedule';

export function workerCommand(): Command {
  return new Command('worker')
    .description('run a worker that executes runbooks (stops cleanly on SIGINT/SIGTERM)')
    .option('--task-queue <name>', 'task queue to poll (default: RUNBOOK_TASK_QUEUE, else heroku-runbooks)')
    .action(async (flags: { taskQueue?: string }) => {
      const settings = temporalSettingsFromEnv();
      const logger = createLogger();
      // Everything that can be wrong with the set-up is checked before polling: token, config, bundle.
      const heroku = herokuConnectionFromEnv();
      const { config, source } = loadRunbookConfig();
      // Workers that share a Temporal namespace but not a Heroku account (tests, demos) keep their locks apart.
      if (process.env.RUNBOOK_LOCK_PREFIX) config.lockPrefix = process.env.RUNBOOK_LOCK_PREFIX;
      // Optional: without them, runbooks that set config vars fail saying so; with a malformed one, nothing starts.
      const sealing = SealingKeys.fromEnv();
      const polling = pollingFromEnv();
      const rateLimitPauseMs = millisecondsFromEnv('RUNBOOK_RATE_LIMIT_PAUSE_MS');
      const apiBudgetSettings = apiBudgetSettingsFromEnv();
      const auditWriteTimeoutMs = millisecondsFromEnv('RUNBOOK_AUDIT_WRITE_TIMEOUT_MS');
      const reconcileIntervalMs = millisecondsFromEnv('RUNBOOK_RECONCILE_INTERVAL_MS') ?? DEFAULT_RECONCILE_INTERVAL_MS;
      const outsideChangesEveryMs = outsideChangesEveryFromEnv();
      const outsideChangesLookbackMs = outsideChangesLookbackFromEnv();
      // A refused token would fail every runbook at its first Heroku call: refuse to start instead.
      const account = await checkHerokuAccount(heroku);
      if (account.warning) logger.warn({ heroku: heroku.apiUrl }, account.warning);
      // The worker alone signs the trail; verifiers hold its public key (RUNBOOK_AUDIT_PUBLIC_KEYS).
      const auditKey = AuditSigner.fromEnv();
      if (auditKey.created)
        logger.warn(
          { auditKeyFile: auditKey.source, auditPublicKey: auditKey.signer.publicKey },
          `made a new audit signing key at ${auditKey.source} (its public key beside it, .pub): give the public key to whoever verifies the trail (RUNBOOK_AUDIT_PUBLIC_KEYS), and keep the private key as you keep RUNBOOK_SEAL_KEYS`,
        );
      const audit = openAuditLog(undefined, { signer: auditKey.signer });
      try {
        await audit.query({ limit: 1 });
      } catch (err) {
        await audit.close();
        throw new Error(`Cannot use the audit log ${audit.location} (RUNBOOK_AUDIT_DB): ${(err as Error).message}`);
      }
      // One Heroku API budget for every worker on this token, kept beside the trail (lib/api-budget).
      const apiBudget = await openWorkerApiBudget(heroku, apiBudgetSettings, audit.location, logger).catch(
        async (err: Error) => {
          await audit.close();
          throw err;
        },
      );
      // The runtime's default shutdown signals (SIGINT, SIGTERM, …) make worker.run() drain and return.
      Runtime.install({ logger: temporalLogger(logger) });
      const connection = await connectWorkerToTemporal(settings);
      try {
        // Without them, every run would fail its first workflow task on upserting them, and retry it forever.
        const attributes = await checkSearchAttributes(connection, settings.namespace, settings.address);
        if (attributes.warning) logger.warn({ namespace: settings.namespace }, attributes.warning);
        const worker = await createRunbookWorker({
          connection,
          namespace: settings.namespace,
          taskQueue: flags.taskQueue ?? settings.taskQueue,
          workflowBundlePath: process.env.RUNBOOK_WORKFLOW_BUNDLE,
          activities: {
            heroku,
            config,
            configSource: source,
            audit,
            sealing,
            polling,
            apiBudget,
            rateLimitPauseMs,
            auditWriteTimeoutMs,
            auditLogCopy: logger,
            outsideChanges: { lookbackMs: outsideChangesLookbackMs },
          },
        });
        const client = new Client({ connection, namespace: settings.namespace });
        // Runs that Temporal ended by itself (terminated, timed out) get their end in the trail from here.
        const reconciler = new EndReconciler(client, audit, logger);
        // Changes made outside the engine are looked for every few minutes, by a Schedule on this task queue.
        // A Schedule that cannot be made does not keep the runbooks from running: the worker says so and goes on.
        const outsideChanges = outsideChangesEveryMs
          ? await ensureOutsideChangesSchedule(client, {
              taskQueue: worker.options.taskQueue,
              everyMs: outsideChangesEveryMs,
              logger,
            }).catch((err: Error) => {
              logger.warn(
                { err },
                'could not create the outside-changes schedule: changes made outside the engine are recorded only by `runbook audit reconcile` (RUNBOOK_OUTSIDE_CHANGES_EVERY=off silences this)',
              );
              return null;
            })
          : null;
        logger.info(
          {
            taskQueue: worker.options.taskQueue,
            temporal: settings.address,
            heroku: heroku.apiUrl,
            herokuAccount: account.email,
            namespace: settings.namespace,
            config: source,
            audit: audit.location,
            herokuApiBudget: `${describeApiBudget(apiBudgetSettings)}, shared in ${apiBudget.location}`,
            // Public: verifiers trust records signed by it (`runbook audit verify`).
            auditPublicKey: auditKey.signer.publicKey,
            outsideChanges: outsideChanges
              ? `every ${Math.round(outsideChangesEveryMs! / 1000)} s (schedule ${outsideChanges.scheduleId})`
              : 'no schedule: `runbook audit reconcile` only',
            // The public key is public: CLI users seal with it (RUNBOOK_SEAL_PUBLIC_KEY).
            sealedConfigValues: sealing
              ? `enabled (keys ${sealing.keyIds().join(', ')}): CLI users seal with RUNBOOK_SEAL_PUBLIC_KEY=${sealing.publicKey()}`
              : 'disabled (no RUNBOOK_SEAL_KEYS: config-var runbooks fail)',
            pid: process.pid,
          },
          'worker ready',
        );
        reconciler.start(reconcileIntervalMs);
        try {
          await worker.run();
        } finally {
          await reconciler.stop();
        }
        logger.info('worker stopped');
      } finally {
        await connection.close();
        await apiBudget.close();
        await audit.close();
      }
    });
}

/**
 * Opens the API budget in the audit database (refusing to start if it cannot be used) and sets it by what Heroku
 * says the token has left — a free request — so that a worker starting while others (or people) spent the token
 * does not begin with a full budget. Heroku not answering that is only a warning: the first answers will tell.
 */
async function openWorkerApiBudget(
  heroku: HerokuConnection,
  settings: ApiBudgetSettings,
  where: string,
  logger: pino.Logger,
): Promise<ApiBudget> {
  let budget: ApiBudget | undefined;
  try {
    budget = openApiBudget(heroku.apiKey, settings);
    await budget.level();
  } catch (err) {
    await budget?.close().catch(() => undefined);
    throw new Error(
      `Cannot keep the Heroku API budget in the audit database ${where} (RUNBOOK_AUDIT_DB): ${(err as Error).message}`,
    );
  }
  try {
    await budget.observe(await new PlatformApi(heroku, { budget }).readRateLimit());
  } catch (err) {
    logger.warn(
      { err },
      "could not read the token's rate limit from Heroku: the API budget learns it from the first answers",
    );
  }
  return budget;
}
