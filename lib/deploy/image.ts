/** The gateway image, built from the staged build context by the docker provider. */
import { Image } from '@cdktf/provider-docker/lib/image';
import { RegistryImage } from '@cdktf/provider-docker/lib/registry-image';
import type { Construct } from 'constructs';
import type { GatewayArtifact, GatewayImageContext, GatewayRuntime } from './target';

/**
 * Declares the image. The context is a Terraform asset whose path holds a
 * content hash, and `context` forces replacement: the image is rebuilt when,
 * and only when, its content changes (for a baked target the config, function
 * code or runtime; for a live one the runtime or the start config). The Dockerfile
 * path is given explicitly because provider 3.6 resolves it against
 * Terraform's working directory, not against the context.
 */
export function gatewayImage(
  scope: Construct,
  artifact: GatewayRuntime & GatewayImageContext,
  name = artifact.imageName,
): Image {
  const context = artifact.context.path;
  return new Image(scope, 'Image', {
    name,
    // The name is content-addressed, so removing an old image can never untag the new one.
    keepLocally: true,
    buildAttribute: {
      context,
      dockerfile: `${context}/Dockerfile`,
      buildArgs: { BASE_IMAGE: artifact.baseImage },
    },
    triggers: {
      // Raw JSON (starting with `{`) renders as a structural jsonencode(...) diff in plans.
      config: escapeTemplate(JSON.stringify(JSON.parse(artifact.configJson))),
      context_sha256: artifact.contextHash,
    },
  });
}

/**
 * Terraform reads every JSON string as a template: `${` and `%{` in user text
 * (a regex route, a mock body) must be doubled to stay literal.
 */
export function escapeTemplate(text: string): string {
  return text.replace(/\$\{/g, () => '$${').replace(/%\{/g, () => '%%{');
}

/**
 * The image a multi-node target runs. Without a repository it is the local
 * content-addressed image (a single-node engine, or images distributed by
 * other means); with one, the image is built as `<repository>:<hash>`, pushed
 * by `docker_registry_image`, and referenced by digest so every node runs
 * exactly the pushed bytes.
 */
export function deployableImage(scope: Construct, artifact: GatewayArtifact, repository?: string): string {
  if (repository === undefined) return gatewayImage(scope, artifact).name;
  const tag = artifact.imageName.slice(artifact.imageName.lastIndexOf(':') + 1);
  const image = gatewayImage(scope, artifact, `${repository}:${tag}`);
  const pushed = new RegistryImage(scope, 'RegistryImage', {
    name: image.name,
    keepRemotely: true,
    triggers: { context_sha256: artifact.contextHash },
  });
  return `${repository}:${tag}@${pushed.sha256Digest}`;
}
