// The chaos run's table, as `npm run chaos` prints it (and the README quotes it).
import type { ChaosReport } from './driver';

export function formatReport(report: ChaosReport): string {
  const dr = report.disasterRecoveries;
  const rows: Array<[string, string]> = [
    ['seed', String(report.seed)],
    ['runs', `${report.runs} (${report.succeeded} succeeded, ${report.failed} failed)`],
    ['disaster recoveries', `${dr.succeeded + dr.failed} (${dr.succeeded} succeeded, ${dr.failed} failed)`],
    ['Heroku requests', String(report.herokuRequests)],
    ...Object.entries(report.faults)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([kind, hits]): [string, string] => [`  fault: ${kind}`, String(hits)]),
    [
      'worker kills (SIGKILL)',
      `${report.workerKills} (${report.killsAfterApply} while Heroku held back an applied change)`,
    ],
    ['Temporal server crashes + restarts', String(report.temporalRestarts)],
    ['worker starts refused (server down)', String(report.workerStartsRefused)],
    ['launches tried again', String(report.launchRetries)],
    [
      'secret scan',
      `${report.secretScan.secrets} secrets × ${report.secretScan.placesScanned} places (${Math.round(report.secretScan.bytesScanned / 1024)} KiB)`,
    ],
    ['wall time', `${report.wallSeconds} s`],
    ['violations', String(report.violations.length)],
  ];
  const width = Math.max(...rows.map(([label]) => label.length));
  const lines = rows.map(([label, value]) => `  ${label.padEnd(width)}  ${value}`);
  for (const violation of report.violations)
    lines.push(`  ✘ ${violation.invariant}${violation.run ? ` [${violation.run}]` : ''}: ${violation.detail}`);
  const failed = report.runsDetail.filter((run) => run.status !== 'succeeded');
  if (failed.length > 0) lines.push('', '  runs that did not succeed (each must say why and how it left the app):');
  for (const run of failed) lines.push(`    ${run.workflowId}: ${run.status} — ${run.error ?? ''}`);
  return lines.join('\n');
}
