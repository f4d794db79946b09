// A copy of /sys/devices/system/memory: block size and the state of each memoryN block.

import { constants, promises as fsp } from 'node:fs';
import { join } from 'node:path';
import type { BlockState } from '../../kernel/memoryBlocks';

export interface SysfsBlock {
  id: number;
  /** First section number (phys_index, hex in sysfs). */
  physIndex?: number;
  state: BlockState;
  /** valid_zones words, e.g. ["Normal"] for an online block, ["Normal","Movable"] for an offline one, ["none"] when it spans zones. */
  validZones?: string[];
  removable?: boolean;
  node?: number;
}

export interface SysfsMemory {
  blockSizeBytes?: bigint;
  autoOnlineBlocks?: string;
  blocks: SysfsBlock[];
  problems: string[];
}

/** Never through a symbolic link (a capture holds copies) nor blocking on a FIFO. */
const READ_FLAGS = constants.O_RDONLY | constants.O_NOFOLLOW | constants.O_NONBLOCK;

async function readOpt(path: string): Promise<string | undefined> {
  try {
    return (await fsp.readFile(path, { encoding: 'utf8', flag: READ_FLAGS })).trim();
  } catch {
    return undefined;
  }
}

const STATES: Record<string, BlockState> = { online: 'online', offline: 'offline', 'going-offline': 'going-offline' };

export async function readSysfsMemory(dir: string): Promise<SysfsMemory> {
  const problems: string[] = [];
  const bsb = await readOpt(join(dir, 'block_size_bytes'));
  let blockSizeBytes: bigint | undefined;
  if (bsb !== undefined) {
    if (/^[0-9a-fA-F]+$/.test(bsb)) blockSizeBytes = BigInt('0x' + bsb);
    else problems.push(`memory/block_size_bytes is not hex: ${JSON.stringify(bsb.slice(0, 40))}`);
  }
  const blocks: SysfsBlock[] = [];
  let names: string[] = [];
  try {
    names = await fsp.readdir(dir);
  } catch {
    problems.push('memory/ folder cannot be read');
  }
  for (const name of names) {
    const m = /^memory(\d+)$/.exec(name);
    if (!m) continue;
    const bdir = join(dir, name);
    const stateText = await readOpt(join(bdir, 'state'));
    const phys = await readOpt(join(bdir, 'phys_index'));
    const zones = await readOpt(join(bdir, 'valid_zones'));
    const removable = await readOpt(join(bdir, 'removable'));
    let node: number | undefined;
    try {
      const entries = await fsp.readdir(bdir);
      const n = entries.map((e) => /^node(\d+)$/.exec(e)).find((x) => x);
      if (n) node = Number(n[1]);
    } catch {
      /* a plain file in place of a folder: ignore */
    }
    const known = stateText !== undefined && Object.hasOwn(STATES, stateText); // not `constructor` & co.
    const state = known ? STATES[stateText] : 'unknown';
    if (stateText !== undefined && !known)
      problems.push(`${name}/state has an unknown value ${JSON.stringify(stateText.slice(0, 40))}`);
    blocks.push({
      id: Number(m[1]),
      physIndex: phys && /^[0-9a-fA-F]+$/.test(phys) ? parseInt(phys, 16) : undefined,
      state,
      validZones: zones ? zones.split(/\s+/).filter(Boolean) : undefined,
      removable: removable === undefined ? undefined : removable === '1',
      node,
    });
  }
  blocks.sort((a, b) => a.id - b.id);
  return { blockSizeBytes, autoOnlineBlocks: await readOpt(join(dir, 'auto_online_blocks')), blocks, problems };
}
