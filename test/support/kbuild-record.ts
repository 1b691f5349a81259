/**
 * A kbuild record of a compiled object (its `.<name>.o.cmd`, as fixdep writes it) for tests:
 * KEY is `cmd` (6.1) or `savedcmd` (later kernels), COMMAND the compile line, SOURCE the C file,
 * DEPS the files it depends on.
 */
export function kbuildRecord(
  key: 'cmd' | 'savedcmd',
  object: string,
  command: string,
  source: string,
  deps: readonly string[],
): string {
  return [
    `${key}_${object} := ${command}`,
    '',
    `source_${object} := ${source}`,
    '',
    `deps_${object} := \\`,
    ...deps.map((d) => `  ${d} \\`),
    '',
    `${object}: $(deps_${object})`,
    '',
  ].join('\n');
}
