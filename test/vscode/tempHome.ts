// A throwaway HOME with XDG_* folders inside, so the server and Chromium never write to the real home.
import { mkdtempSync, mkdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface TempHome {
  dir: string;
  env: NodeJS.ProcessEnv;
  remove(): void;
}

export function makeTempHome(prefix = 'kmemmap-vscode-'): TempHome {
  const dir = mkdtempSync(join(tmpdir(), prefix));
  const sub = (name: string) => {
    const p = join(dir, name);
    mkdirSync(p, { recursive: true });
    return p;
  };
  const env: NodeJS.ProcessEnv = {
    HOME: dir,
    XDG_CONFIG_HOME: sub('.config'),
    XDG_DATA_HOME: sub('.local/share'),
    XDG_CACHE_HOME: sub('.cache'),
    XDG_STATE_HOME: sub('.local/state'),
    XDG_RUNTIME_DIR: sub('run'),
  };
  return { dir, env, remove: () => rmSync(dir, { recursive: true, force: true }) };
}
