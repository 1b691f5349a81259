/** How long a stage has run, for people: 45s, 2m30s, 1h05m. */
export function formatDuration(ms: number): string {
  const seconds = Math.max(0, Math.floor(ms / 1000));
  if (seconds < 60) return `${seconds}s`;
  const minutes = Math.floor(seconds / 60);
  if (minutes < 60) return `${minutes}m${String(seconds % 60).padStart(2, '0')}s`;
  return `${Math.floor(minutes / 60)}h${String(minutes % 60).padStart(2, '0')}m`;
}

export interface ProgressState {
  stage: string;
  elapsedMs: number;
  /** Objects compiled so far in this stage (undefined: no build has started). */
  compiled?: number | undefined;
  /** Objects the stage's builds will compile, when known. */
  total?: number | undefined;
  /** The object being compiled now. */
  current?: string | undefined;
}

function countText(state: ProgressState): string | undefined {
  if (state.compiled === undefined) return undefined;
  return state.total !== undefined ? `${state.compiled}/${state.total} objects` : `${state.compiled} objects`;
}

/**
 * The status line of a terminal, redrawn in place: `original-build 2m30s  412 objects  CC fs/proc/base.o`,
 * cut to the terminal's width.
 */
export function formatTtyStatus(state: ProgressState, columns = 80): string {
  const parts = [`${state.stage} ${formatDuration(state.elapsedMs)}`];
  const count = countText(state);
  if (count) parts.push(count);
  if (state.current) parts.push(`CC ${state.current}`);
  const line = parts.join('  ');
  const width = Math.max(10, columns - 1);
  return line.length > width ? `${line.slice(0, width - 3)}...` : line;
}

/** The plain line written every so often without a terminal (CI): `original-build: 2m30s, 412 objects compiled`. */
export function formatPlainStatus(state: ProgressState): string {
  const count = countText(state);
  return `${state.stage}: ${formatDuration(state.elapsedMs)}${count ? `, ${count} compiled` : ''}`;
}
