/** Wording of the construct library's own errors, in one place for review. */
export const Messages = {
  noDockerProvider: (stack: string) =>
    `stack "${stack}" has no DockerProvider; add \`new DockerProvider(stack, 'docker', {})\` from @cdktf/provider-docker`,
  variableNotSensitive: (variable: string, where: string) =>
    `${where}: the Terraform variable "${variable}" holds a secret and must be declared with sensitive: true`,
  apiPath: (message: string) => `frontend path: ${message}`,
  secretEnvClash: (name: string) => `two different secrets use the environment variable ${name}`,
  stagingFailed: (message: string) => `the gateway build context could not be staged: ${message}`,
} as const;
