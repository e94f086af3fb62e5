/**
 * @module trainer/text-table
 * The aligned plain-text tables the commands print: `--help`'s flags, train's config, eval's
 * scores, bench:train's timings and bench:edge's budgets. One function lines them all up the same
 * way: each column as wide as its widest cell, text left-aligned, numbers optionally right-aligned,
 * and no padding after a left-aligned last cell (no trailing spaces).
 */

/** How a table is laid out; the defaults give `--help`'s two-space columns. */
export interface TableStyle {
  /** Between two columns (default two spaces). */
  separator?: string
  /** Before every line (default none). */
  indent?: string
  /** Right-align every column but the first: numbers under their headers. */
  numeric?: boolean
  /** A line of dashes under the first row, each as wide as its column. */
  rule?: boolean
}

/**
 * `rows` (the first one may be a header) as aligned lines joined by newlines.
 * @example
 * textTable([['backend', 'ms/step'], ['wasm', '116.4']], { numeric: true })
 * // 'backend  ms/step\nwasm       116.4'
 */
export function textTable(rows: readonly (readonly string[])[], style: TableStyle = {}): string {
  const { separator = '  ', indent = '', numeric = false, rule = false } = style
  const columns = Math.max(0, ...rows.map((row) => row.length))
  const widths = Array.from({ length: columns }, (_, c) =>
    Math.max(...rows.map((row) => (row[c] ?? '').length)),
  )
  const right = (c: number) => numeric && c > 0
  const line = (row: readonly string[]) =>
    indent +
    row
      .map((cell, c) => {
        if (right(c)) return cell.padStart(widths[c])
        return c === row.length - 1 ? cell : cell.padEnd(widths[c])
      })
      .join(separator)
  const lines = rows.map(line)
  if (rule && lines.length > 0) {
    lines.splice(1, 0, indent + widths.map((w) => '-'.repeat(w)).join(separator))
  }
  return lines.join('\n')
}
