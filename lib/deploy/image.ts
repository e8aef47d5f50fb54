/** The gateway image, built from the staged build context by the docker provider. */
import { Image } from '@cdktf/provider-docker/lib/image';
import type { Construct } from 'constructs';
import type { GatewayArtifact } from './target';

/**
 * Declares the image. The context is a Terraform asset whose path holds a
 * content hash, and `context` forces replacement: the image is rebuilt when,
 * and only when, the config, function code or runtime change. The Dockerfile
 * path is given explicitly because provider 3.6 resolves it against
 * Terraform's working directory, not against the context.
 */
export function gatewayImage(scope: Construct, artifact: GatewayArtifact): Image {
  const context = artifact.context.path;
  return new Image(scope, 'Image', {
    name: artifact.imageName,
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
