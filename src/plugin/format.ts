// Text helpers of the plugin's output: ages as kubectl prints them, aligned columns, and lines
// kept within the terminal's width. Pure.

/**
 * A duration as kubectl prints ages (k8s.io/apimachinery's duration.HumanDuration): "45s", "3m20s",
 * "45m", "3h20m", "20h", "3d4h", "45d", "2y30d". Readers of `kubectl get` know these at a glance.
 */
export function humanDuration(ms: number): string {
  const seconds = Math.floor(ms / 1000);
  if (seconds < -1) return '<invalid>';
  if (seconds < 0) return '0s';
  if (seconds < 120) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  const hours = Math.floor(minutes / 60);
  const days = Math.floor(hours / 24);
  const years = Math.floor(days / 365);
  const withRest = (whole: string, rest: number, unit: string) => (rest === 0 ? whole : `${whole}${rest}${unit}`);
  if (minutes < 10) return withRest(`${minutes}m`, seconds % 60, 's');
  if (minutes < 180) return `${minutes}m`;
  if (hours < 8) return withRest(`${hours}h`, minutes % 60, 'm');
  if (hours < 48) return `${hours}h`;
  if (hours < 24 * 8) return withRest(`${days}d`, hours % 24, 'h');
  if (years < 2) return `${days}d`;
  if (years < 8) return withRest(`${years}y`, days % 365, 'd');
  return `${years}y`;
}

/** How long ago `iso` was ("3m"), or "?" when it is not a time. */
export function age(iso: string | undefined, now: Date): string {
  const at = iso === undefined ? Number.NaN : Date.parse(iso);
  return Number.isNaN(at) ? '?' : humanDuration(now.getTime() - at);
}

/** "in 40s" for a time ahead, "40s ago" for one behind (a retry that is overdue). */
export function relative(iso: string, now: Date): string {
  const at = Date.parse(iso);
  if (Number.isNaN(at)) return '?';
  const ms = at - now.getTime();
  return ms >= 0 ? `in ${humanDuration(ms)}` : `${humanDuration(-ms)} ago`;
}

/** Cuts `text` to `max` characters, marking the cut with an ellipsis. Newlines become spaces. */
export function truncate(text: string, max: number): string {
  const flat = text.replace(/\s*\n\s*/g, ' ');
  if (flat.length <= max) return flat;
  return max <= 1 ? flat.slice(0, max) : `${flat.slice(0, max - 1)}…`;
}

/** Breaks `text` into lines of at most `width` characters at spaces (a longer word stays whole). */
export function wrap(text: string, width: number): string[] {
  const lines: string[] = [];
  let line = '';
  for (const word of text.replace(/\s+/g, ' ').trim().split(' ')) {
    if (line === '') line = word;
    else if (line.length + 1 + word.length <= width) line += ` ${word}`;
    else {
      lines.push(line);
      line = word;
    }
  }
  if (line !== '') lines.push(line);
  return lines.length === 0 ? [''] : lines;
}

/** Two spaces between columns: a cell may hold single spaces ("not sampled yet") and still be told apart. */
export const COLUMN_GAP = '  ';

/**
 * Rows under a header, each column as wide as its widest cell, columns two spaces apart. A row with
 * fewer cells than the header ends in a cell that spans the rest ("prod  not sampled yet"), so it
 * sets no column's width. The last column is cut (with an ellipsis) where a line would pass `width`
 * when it is free text (a message, an event's note), whose start says enough; figures and names are
 * never cut (`cutLast: false`).
 */
export function table(header: readonly string[], rows: readonly (readonly string[])[], width: number, { cutLast = true } = {}): string[] {
  const all = [header, ...rows];
  const columns = header.length;
  const sizing = (row: readonly string[], i: number) => (row.length < columns && i === row.length - 1 ? 0 : (row[i] ?? '').length);
  const widths = Array.from({ length: columns }, (_, i) => Math.max(...all.map((row) => sizing(row, i))));
  return all.map((row) => {
    const count = Math.min(Math.max(row.length, 1), columns);
    const cells = Array.from({ length: count }, (_, i) => row[i] ?? '');
    const leading = cells.slice(0, -1).map((cell, i) => cell.padEnd(widths[i] ?? 0)).join(COLUMN_GAP);
    const last = cells.at(-1) ?? '';
    const prefix = count > 1 ? `${leading}${COLUMN_GAP}` : '';
    // Never cut below a readable stub, even when the figures alone fill the line.
    const room = Math.max(width - prefix.length, 16);
    return `${prefix}${cutLast ? truncate(last, room) : last}`.trimEnd();
  });
}

/** "Label:" padded to one width, then the value, with continuation lines indented under it. */
export function field(label: string, value: string | readonly string[], labelWidth: number): string[] {
  const values = typeof value === 'string' ? [value] : value;
  const pad = ' '.repeat(labelWidth);
  return values.map((line, i) => (i === 0 ? `${`${label}:`.padEnd(labelWidth)}${line}` : `${pad}${line}`).trimEnd());
}
