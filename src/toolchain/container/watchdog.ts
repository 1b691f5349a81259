/**
 * The container's first process: runs the command with stdin from /dev/null and exits when the
 * container's stdin closes (the host process that holds its other end died, even by SIGKILL) or
 * when it gets INT/TERM/HUP. As PID 1 of the container, its exit makes the kernel kill every
 * other process inside, so an abandoned build never keeps running; `--rm` then removes it.
 *
 * A background list in a non-interactive shell gets /dev/null as stdin, hence the copy on fd 3.
 */
export const WATCHDOG_SCRIPT = [
  "trap 'exit 130' INT",
  "trap 'exit 143' TERM",
  "trap 'exit 129' HUP",
  'exec 3<&0',
  '"$@" </dev/null 3<&- &',
  'child=$!',
  '{ cat <&3 >/dev/null; kill -TERM $$; } &',
  'wait "$child"',
].join('\n');

/** The command line run inside the image: the watchdog shell, then FILE ARGS. */
export function watchedCommand(file: string, args: readonly string[]): string[] {
  return ['sh', '-c', WATCHDOG_SCRIPT, 'tsbuild-patch-watchdog', file, ...args];
}
