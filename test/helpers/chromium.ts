/**
 * Headless Chromium (Debian's `chromium`) for tests that look at a page as a
 * user does, driven with playwright-core. Without the browser the tests skip
 * with a visible reason; on CI (`CI=true`) a missing browser fails them
 * (`.ci/run` installs it).
 */
import { existsSync, mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { chromium, type BrowserContext } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';

/** `describe` that runs when Chromium is installed, skips with the reason otherwise, and fails on CI. */
export function describeWithChromium(name: string, fn: () => void): void {
  if (existsSync(CHROMIUM)) {
    describe(name, fn);
    return;
  }
  const reason = `${CHROMIUM} is not installed (apt-get install chromium)`;
  if (process.env.CI === 'true') {
    describe(name, () => {
      it('needs Chromium on CI', () => {
        throw new Error(`CI=true but ${reason}; .ci/run must install it`);
      });
    });
    return;
  }
  console.warn(`SKIPPED "${name}": ${reason}`);
  describe.skip(`${name} (skipped: ${reason})`, fn);
}

/**
 * Launches headless Chromium with a new empty profile (its --user-data-dir) in `profileParent`, without
 * background networking, component updates, sync or QUIC. Close the context to stop the browser.
 */
export function launchChromium(profileParent: string): Promise<BrowserContext> {
  const profile = mkdtempSync(join(profileParent, 'chromium-profile-'));
  // playwright passes the profile as --user-data-dir itself (it refuses the flag in args).
  return chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    headless: true,
    viewport: { width: 1400, height: 1000 },
    args: [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
    ],
  });
}

/**
 * Where screenshots for review go: a named folder beside the test run's temp folder (which is removed
 * after the run, and must be left empty), so that they are kept.
 */
export function screenshotDir(name: string): string {
  const run = tmpdir();
  return join(/apigw-jest-run-/.test(basename(run)) ? dirname(run) : run, name);
}
