// What `npm run bench` reports: one row per figure, each with its target and whether this run met it, so the table
// says plainly which targets hold on this machine and which do not.

export interface Figure {
  /** The item: "1", "5b"… */
  item: string;
  what: string;
  /** As printed: "1.02", "231 MB", "0.18 s". */
  value: string;
  /** The raw number, for bench/results.json readers. */
  number: number | null;
  /** "≤ 1.05"; empty where the figure is reported without a target. */
  target: string;
  /** null where there is no target. */
  met: boolean | null;
  /** How it was measured, or why a target was missed. */
  note?: string;
}

export function figure(
  item: string,
  what: string,
  number: number | null,
  format: (n: number) => string,
  target?: { text: string; met: (n: number) => boolean },
  note?: string,
): Figure {
  return {
    item,
    what,
    value: number === null ? 'n/a' : format(number),
    number,
    target: target?.text ?? '',
    met: target && number !== null ? target.met(number) : null,
    ...(note && { note }),
  };
}

export const ratio = (n: number) => n.toFixed(2);
export const seconds = (ms: number) => `${(ms / 1000).toFixed(ms < 10_000 ? 2 : 1)} s`;
export const mebibytes = (bytes: number) => `${Math.round(bytes / 1024 / 1024)} MiB`;
export const count = (n: number) => String(Math.round(n * 10) / 10);

export function median(values: number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[middle] : (sorted[middle - 1] + sorted[middle]) / 2;
}

/** The p-th percentile (0–100) by nearest rank. */
export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];
}

/** The table `npm run bench` prints and the README quotes (Markdown, so both read the same). */
export function formatTable(figures: Figure[]): string {
  const rows = figures.map((f) => [
    f.item,
    f.what,
    f.value,
    f.target || '—',
    f.met === null ? '' : f.met ? 'met' : 'NOT met',
  ]);
  const header = ['#', 'figure', 'this run', 'target', ''];
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((row) => row[i].length)));
  const line = (cells: string[]) => `| ${cells.map((cell, i) => cell.padEnd(widths[i])).join(' | ')} |`;
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
