// Starts and stops the plain VS Code server (from code-server's lib/vscode) on 127.0.0.1 and a free port.
import { spawn, execFileSync, ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createWriteStream, mkdirSync } from 'node:fs';
import { join } from 'node:path';

export interface ServerOptions {
  serverMain: string;
  /** Folder for user data, server data and extensions (created if missing). */
  dataDir: string;
  /** Environment overrides (HOME, XDG_*, test variables); inherited by the extension host. */
  env?: NodeJS.ProcessEnv;
  /** Server log file; defaults to dataDir/server.log. */
  logFile?: string;
  port?: number;
}

export interface RunningServer {
  port: number;
  origin: string;
  extensionsDir: string;
  userDataDir: string;
  logFile: string;
  process: ChildProcess;
  stop(): Promise<void>;
}

export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const addr = s.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      s.close(() => resolve(port));
    });
  });
}

function dirs(dataDir: string) {
  const d = {
    userDataDir: join(dataDir, 'ud'),
    serverDataDir: join(dataDir, 'sd'),
    extensionsDir: join(dataDir, 'ext'),
  };
  for (const p of Object.values(d)) mkdirSync(p, { recursive: true });
  return d;
}

/** Installs a .vsix into the server's extensions folder (the way a user's `code --install-extension` does). */
export function installVsix(serverMain: string, dataDir: string, vsix: string, env: NodeJS.ProcessEnv = {}): void {
  const d = dirs(dataDir);
  execFileSync(
    process.execPath,
    [
      serverMain,
      '--install-extension',
      vsix,
      '--force',
      '--extensions-dir',
      d.extensionsDir,
      '--user-data-dir',
      d.userDataDir,
      '--server-data-dir',
      d.serverDataDir,
      '--accept-server-license-terms',
    ],
    { env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'], timeout: 120_000 },
  );
}

async function waitForHttp(origin: string, child: ChildProcess, timeoutMs: number): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`VS Code server exited with code ${child.exitCode} before listening`);
    try {
      const r = await fetch(origin + '/version');
      if (r.status < 500) return;
    } catch {
      /* not listening yet */
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`VS Code server did not answer on ${origin} within ${timeoutMs} ms`);
}

export async function startServer(opts: ServerOptions): Promise<RunningServer> {
  const d = dirs(opts.dataDir);
  const port = opts.port ?? (await freePort());
  const logFile = opts.logFile ?? join(opts.dataDir, 'server.log');
  const log = createWriteStream(logFile);
  const child = spawn(
    process.execPath,
    [
      opts.serverMain,
      '--host',
      '127.0.0.1',
      '--port',
      String(port),
      '--without-connection-token',
      '--accept-server-license-terms',
      '--disable-telemetry',
      '--disable-workspace-trust',
      '--user-data-dir',
      d.userDataDir,
      '--server-data-dir',
      d.serverDataDir,
      '--extensions-dir',
      d.extensionsDir,
    ],
    { env: { ...process.env, ...opts.env }, stdio: ['ignore', 'pipe', 'pipe'], detached: true },
  );
  child.stdout!.pipe(log);
  child.stderr!.pipe(log);
  const origin = `http://127.0.0.1:${port}`;
  const stop = async () => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise<void>((r) => child.once('exit', () => r()));
    try {
      process.kill(-child.pid!, 'SIGTERM'); // the server and its extension hosts (own process group)
    } catch {
      child.kill('SIGTERM');
    }
    const t = setTimeout(() => {
      try {
        process.kill(-child.pid!, 'SIGKILL');
      } catch {
        /* gone */
      }
    }, 5000);
    await exited;
    clearTimeout(t);
  };
  try {
    await waitForHttp(origin, child, 60_000);
  } catch (e) {
    await stop();
    throw e;
  }
  return { port, origin, extensionsDir: d.extensionsDir, userDataDir: d.userDataDir, logFile, process: child, stop };
}
