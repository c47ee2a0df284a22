import { z } from 'zod';

/**
 * How the simulated Heroku Postgres behaves: transfer pace, injected transfer failures, and the runbook's claim
 * (UNCONFIRMED by Heroku's docs, reference §4.6) that a restore drops the database's backup schedule. Durations
 * and rates are simulated; they pass through SimulatedTime when a transfer or add-on is planned, so a speed change
 * applies to transfers and add-ons created after it. Kept in memory; `POST /__simulator/reset` restores the
 * start-up values.
 */
export const dataSettingsSchema = z.strictObject({
  /** Simulated time a transfer stays pending before it starts. */
  transferPendingMs: z.int().nonnegative(),
  /** Simulated pace at which `processed_bytes` grows once started. */
  transferBytesPerSecond: z.number().positive(),
  /** A restore that finishes successfully deletes the target database's backup schedule. */
  restoreDropsSchedule: z.boolean(),
  /** The next N captures fail (each one created consumes one). */
  failNextCaptures: z.int().nonnegative(),
  /** The next N restores fail. */
  failNextRestores: z.int().nonnegative(),
  /**
   * Transfer names that fail: a capture or restore created under one of these names, and any restore *from* a
   * backup listed here (a corrupt dump stays corrupt, so these are not consumed).
   */
  failTransfers: z.array(z.string().regex(/^[abcr]\d{3,}$/, 'transfer names look like b017 or r003')),
  /** Simulated time a new Heroku Postgres add-on stays `provisioning`. */
  postgresProvisionMs: z.int().nonnegative(),
});

export type DataSettingsValues = z.infer<typeof dataSettingsSchema>;

/**
 * Heroku's own pace on the runbook's database: b016 (9.59 MB) took 7 s from creation to completion.
 * Provisioning a standard-0 database takes a few minutes.
 */
export const DEFAULT_DATA_SETTINGS: DataSettingsValues = {
  transferPendingMs: 1_000,
  transferBytesPerSecond: 1_600_000,
  restoreDropsSchedule: true,
  failNextCaptures: 0,
  failNextRestores: 0,
  failTransfers: [],
  postgresProvisionMs: 180_000,
};

export const dataSettingsChange = dataSettingsSchema.partial();

export class DataSettings {
  private readonly initial: DataSettingsValues;
  private values: DataSettingsValues;

  constructor(overrides: Partial<DataSettingsValues> = {}) {
    this.initial = dataSettingsSchema.parse({ ...DEFAULT_DATA_SETTINGS, ...overrides });
    this.values = structuredClone(this.initial);
  }

  get current(): Readonly<DataSettingsValues> {
    return this.values;
  }

  update(change: Partial<DataSettingsValues>): DataSettingsValues {
    this.values = { ...this.values, ...change };
    return this.values;
  }

  reset(): void {
    this.values = structuredClone(this.initial);
  }

  /** Whether a new capture named `name` fails; consumes one of `failNextCaptures` if that is why. */
  captureFails(name: string): boolean {
    if (this.values.failTransfers.includes(name)) return true;
    if (this.values.failNextCaptures === 0) return false;
    this.values.failNextCaptures--;
    return true;
  }

  /** Whether a new restore named `name`, from backup `backupName` if it is one of ours, fails. */
  restoreFails(name: string, backupName: string | undefined): boolean {
    if (this.values.failTransfers.includes(name)) return true;
    if (backupName !== undefined && this.values.failTransfers.includes(backupName)) return true;
    if (this.values.failNextRestores === 0) return false;
    this.values.failNextRestores--;
    return true;
  }
}
