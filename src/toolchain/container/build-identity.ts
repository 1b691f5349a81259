/**
 * Variables through which kbuild records who built a kernel and when (include/generated/
 * compile.h, hence init/version.o). On the host, make inherits them from the environment;
 * a container starts with an empty one, so they are carried in, and the build user defaults
 * to the host's (a docker --user uid has no name inside).
 */
export const BUILD_IDENTITY_VARIABLES = [
  'KBUILD_BUILD_TIMESTAMP',
  'KBUILD_BUILD_USER',
  'KBUILD_BUILD_HOST',
  'KBUILD_BUILD_VERSION',
  'SOURCE_DATE_EPOCH',
] as const;

/** The build-identity variables of the host environment, with the build user filled in. */
export function buildIdentityEnv(hostEnv: NodeJS.ProcessEnv, hostUser: string): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of BUILD_IDENTITY_VARIABLES) {
    const value = hostEnv[name];
    if (value !== undefined) env[name] = value;
  }
  env['KBUILD_BUILD_USER'] ??= hostUser;
  return env;
}
