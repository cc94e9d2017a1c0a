import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { tempHome } from '../../test/helpers/temp-home';
import { findProjectConfig, projectTarget } from './project-config';

describe('.tessera.json', () => {
  it('is found in the folder or the nearest parent', async () => {
    const root = await tempHome('tessera-project-');
    const deep = join(root, 'app', 'src', 'lib');
    await mkdir(deep, { recursive: true });
    await writeFile(join(root, '.tessera.json'), JSON.stringify({ vault: 'outer', environment: 'staging' }));
    await writeFile(join(root, 'app', '.tessera.json'), JSON.stringify({ vault: 'payments', env: 'development' }));
    expect(await findProjectConfig(deep)).toEqual({ path: join(root, 'app', '.tessera.json'), vault: 'payments', environment: 'development' });
    expect(await findProjectConfig(root)).toMatchObject({ vault: 'outer', environment: 'staging' });
  });

  it('flags win over the file, and a missing setting is a clear usage error', async () => {
    const root = await tempHome('tessera-project-');
    await writeFile(join(root, '.tessera.json'), JSON.stringify({ vault: 'payments' }));
    expect(await projectTarget({ env: 'production' }, root)).toEqual({ vault: 'payments', env: 'production' });
    expect(await projectTarget({ vault: 'other', env: 'dev' }, root)).toEqual({ vault: 'other', env: 'dev' });
    await expect(projectTarget({}, root)).rejects.toMatchObject({ code: 'INVALID_INPUT', message: expect.stringContaining('--env') });
  });

  it('a malformed file is refused with PROJECT_CONFIG', async () => {
    const root = await tempHome('tessera-project-');
    await writeFile(join(root, '.tessera.json'), '{"vault": 3}');
    await expect(findProjectConfig(root)).rejects.toMatchObject({ code: 'PROJECT_CONFIG' });
    await writeFile(join(root, '.tessera.json'), '{vault');
    await expect(findProjectConfig(root)).rejects.toMatchObject({ code: 'PROJECT_CONFIG' });
  });
});
