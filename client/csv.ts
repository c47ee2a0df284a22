// RFC 4180 CSV: CRLF line ends; a field with a comma, a quote or a line break is quoted, its quotes doubled.

/** One cell: a string as it is, null as an empty cell, a number or boolean as written, anything else as JSON. */
export function csvCell(value: unknown): string {
  const text =
    value === null || value === undefined
      ? ''
      : typeof value === 'string'
        ? value
        : typeof value === 'number' || typeof value === 'boolean'
          ? String(value)
          : JSON.stringify(value);
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

export function csvRow(values: readonly unknown[]): string {
  return `${values.map(csvCell).join(',')}\r\n`;
}

/**
 * Objects as CSV: a header row of every key any of them has (`first` in that order, then the others as they first
 * appear), then one row each.
 */
export function toCsv(rows: readonly Record<string, unknown>[], first: readonly string[] = []): string {
  const columns = [...first];
  for (const row of rows) for (const key of Object.keys(row)) if (!columns.includes(key)) columns.push(key);
  return csvRow(columns) + rows.map((row) => csvRow(columns.map((column) => row[column]))).join('');
}
