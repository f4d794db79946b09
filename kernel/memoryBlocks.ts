// Memory block states as sysfs shows them (/sys/devices/system/memory/memoryN/state), plus the two
// states of our own: `absent` (no block device for these PFNs) and `unknown` (the input does not say).
export type BlockState = 'online' | 'offline' | 'going-offline' | 'absent' | 'unknown';
