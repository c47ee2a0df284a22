// Every runbook workflow the worker registers. Workflow code runs in Temporal's deterministic sandbox:
// no I/O and no Node built-ins here (eslint enforces it); side effects live in activities/.
export { maintenanceOn, maintenanceOff } from './maintenance';
export { scaleDynos } from './scale-dynos';
export { setConfigVars, unsetConfigVars } from './config-vars';
export { captureBackup, listBackups, restoreBackup, scheduleBackups } from './backups';
export { rebuildSearchIndex, runCommand } from './commands';
export { appStatus, verifyBackupSchedule } from './status';
export { disasterRecovery } from './disaster-recovery';
export { appLock } from './app-lock';
export { reconcileOutsideChanges } from './reconcile-outside-changes';
// Any other type fails at once, naming the closest registered one (the SDK runs the default export for it).
export { default } from './unknown-type';
