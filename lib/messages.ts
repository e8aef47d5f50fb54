/** Wording of the construct library's own errors, in one place for review. */
export const Messages = {
  noDockerProvider: (stack: string) =>
    `stack "${stack}" has no DockerProvider; add \`new DockerProvider(stack, 'docker', {})\` from @cdktf/provider-docker`,
  variableNotSensitive: (variable: string, where: string) =>
    `${where}: the Terraform variable "${variable}" holds a secret and must be declared with sensitive: true`,
  apiPath: (message: string) => `frontend path: ${message}`,
  secretEnvClash: (name: string) => `two different secrets use the environment variable ${name}`,
  stagingFailed: (message: string) => `the gateway build context could not be staged: ${message}`,
  unindexedRegex: (pattern: string) =>
    `route regex "${pattern}" has no literal the router can index (a literal prefix after "^", or literal text every ` +
    `match contains, such as "/orders/"): it runs for every request that reaches the regex routes, so many such ` +
    `routes slow down every request served by a plain route or not found`,
} as const;
