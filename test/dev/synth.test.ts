/** `apigw dev`'s synth, in process: a real cdktf app run the way `cdktf synth` runs it, into a private folder. */
import { existsSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { readCdktfProject, Synthesizer } from '../../dev/synth';
import { waitUntilGone } from '../helpers/processes';
import { createDevApp, devApis } from '../helpers/dev-app';
import { tempDir } from '../helpers/temp';

const env = { ...process.env, ECHO_ORIGIN: 'ws://127.0.0.1:9' };

describe('readCdktfProject', () => {
  it('reads the app command and the context of cdktf.json', () => {
    const dir = tempDir();
    writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ app: 'node main.js', context: { stage: 'dev' } }));
    expect(readCdktfProject(dir)).toEqual({ dir, app: 'node main.js', context: { stage: 'dev' } });
    writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ app: 'node main.js', context: 'not an object' }));
    expect(readCdktfProject(dir).context).toEqual({});
  });

  it('says what is wrong with a missing, unreadable or app-less cdktf.json', () => {
    const dir = tempDir();
    const file = join(dir, 'cdktf.json');
    expect(() => readCdktfProject(dir)).toThrow(`${file} not found: run apigw dev in a cdktf project`);
    writeFileSync(file, '{ "app": ');
    expect(() => readCdktfProject(dir)).toThrow(new RegExp(`^${file}: .*JSON`));
    writeFileSync(file, JSON.stringify({ app: '  ' }));
    expect(() => readCdktfProject(dir)).toThrow(`${file} has no "app" command`);
  });
});

describe('Synthesizer', () => {
  it('runs the app into its own folder and returns each service with its config and folders', async () => {
    const dir = createDevApp(devApis(), { healthPath: '/healthz' });
    const outdir = join(tempDir(), 'out');
    const result = await new Synthesizer(readCdktfProject(dir), outdir, env).run();
    if (!result.ok) throw new Error(result.errors.join('\n'));
    expect([...result.services.keys()]).toEqual(['pets']);
    const pets = result.services.get('pets')!;
    expect(pets.config.apis.map((a) => a.name)).toEqual(['status', 'chat']);
    expect(pets.config.service.healthPath).toBe('/healthz');
    expect(pets.stackDir).toBe(join(outdir, 'stacks', 'dev'));
    expect(pets.dir).toBe(join(outdir, 'stacks', 'dev', 'apigw'));
    // The user's own cdktf.out is never written.
    expect(existsSync(join(dir, 'cdktf.out'))).toBe(false);
  });

  it('passes the context of cdktf.json to the app', async () => {
    const dir = createDevApp(
      devApis(
        `  service.addApi('stage', { path: '=/stage', backend: MockBackend.json({ stage: service.node.tryGetContext('stage') }) });`,
      ),
    );
    writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ app: 'node main.js', context: { stage: 'from-context' } }));
    const result = await new Synthesizer(readCdktfProject(dir), tempDir(), env).run();
    if (!result.ok) throw new Error(result.errors.join('\n'));
    const stage = result.services.get('pets')!.config.apis.find((a) => a.name === 'stage')!;
    expect(stage.backend).toMatchObject({ type: 'mock', body: '{"stage":"from-context"}' });
  });

  it('reports a construct error with its construct path', async () => {
    const dir = createDevApp(
      devApis(
        `  service.addApi('slow', { path: '=/slow', backend: new HttpBackend({ origin: 'http://127.0.0.1:1', timeout: Duration.minutes(31) }) });`,
      ),
    );
    const result = await new Synthesizer(readCdktfProject(dir), tempDir(), env).run();
    expect(result).toMatchObject({
      ok: false,
      errors: ['[dev/pets/slow] backend timeout: at most 30 minutes, got 31 minutes'],
    });
  });

  it("reports a crashing app by its exit code and its output's last lines", async () => {
    const dir = createDevApp('exports.addApis = () => { throw new Error("typo in apis.js"); };\n');
    const result = await new Synthesizer(readCdktfProject(dir), tempDir(), env).run();
    if (result.ok) throw new Error('synth succeeded');
    expect(result.errors[0]).toBe('the app exited with code 1:');
    expect(result.errors.slice(1).every((l) => l.startsWith('  '))).toBe(true);
    expect(result.errors.join('\n')).toContain('Error: typo in apis.js');
  });

  it('reports an app that writes no stacks, and an app command that does not exist', async () => {
    const dir = createDevApp();
    const outdir = tempDir();
    writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ app: 'node -e "0"' }));
    expect(await new Synthesizer(readCdktfProject(dir), outdir, env).run()).toMatchObject({
      ok: false,
      errors: [`the app wrote no stacks into ${outdir} (does it call app.synth()?)`],
    });
    writeFileSync(join(dir, 'cdktf.json'), JSON.stringify({ app: 'apigw-dev-no-such-command' }));
    const missing = await new Synthesizer(readCdktfProject(dir), outdir, env).run();
    if (missing.ok) throw new Error('synth succeeded');
    expect(missing.errors[0]).toBe('the app exited with code 127:');
    expect(missing.errors.join('\n')).toContain('apigw-dev-no-such-command');
  });

  it('returns no service for an app without one, and forgets a service removed since the last synth', async () => {
    const dir = createDevApp();
    const outdir = tempDir();
    const synth = new Synthesizer(readCdktfProject(dir), outdir, env);
    const first = await synth.run();
    expect(first.ok && [...first.services.keys()]).toEqual(['pets']);
    rmSync(join(dir, 'service.json'));
    expect(await synth.run()).toMatchObject({ ok: true, services: new Map() });
  });

  it('stop() ends a synth in progress with its whole process group', async () => {
    const dir = tempDir();
    mkdirSync(join(dir, 'out'));
    // A shell that starts a child: both are in the app's process group.
    writeFileSync(
      join(dir, 'cdktf.json'),
      JSON.stringify({ app: `node -e "setInterval(() => {}, 1000)" & echo child=$!; wait` }),
    );
    const synth = new Synthesizer(readCdktfProject(dir), join(dir, 'out'), env);
    const running = synth.run();
    // Let the shell start its child before stopping.
    await new Promise((r) => setTimeout(r, 500));
    synth.stop();
    const result = await running;
    if (result.ok) throw new Error('synth succeeded');
    expect(result.errors[0]).toBe('the app exited with code 128:');
    const child = Number(/child=(\d+)/.exec(result.errors.join('\n'))?.[1]);
    expect(await waitUntilGone(child)).toBe(true);
    // Stopping when nothing runs is harmless.
    synth.stop();
  });
});
