/**
 * `apigw provider install [DIR]`: puts the Terraform provider into DIR (a
 * Terraform working directory; default the current one) — the
 * `terraform.d/plugins` mirror and the `.terraform.lock.hcl` entry — so
 * plain Terraform can `terraform init` it with no registry. Prints the
 * `required_providers` entry to use.
 */
import { resolve } from 'node:path';
import { vendorProvider } from '../../provider/vendor';
import type { Command } from '../command';

export const providerCommand: Command = {
  async run(args) {
    const [sub, dir, ...rest] = args;
    if (sub !== 'install' || rest.length > 0 || dir?.startsWith('-')) {
      process.stderr.write('usage: apigw provider install [DIR]\n');
      return 2;
    }
    const target = resolve(dir ?? '.');
    const v = vendorProvider(target);
    process.stdout.write(
      [
        `Installed ${v.source} ${v.version} into ${target}/terraform.d/plugins and pinned it in .terraform.lock.hcl.`,
        'Declare it in your configuration:',
        '',
        '  terraform {',
        '    required_providers {',
        `      apigw = { source = "${v.source}" }`,
        '    }',
        '  }',
        '',
        'Run "apigw provider install" again after upgrading cdktf-apigw.',
        '',
      ].join('\n'),
    );
    return 0;
  },
};
