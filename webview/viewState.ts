// What the panel remembers across hide/show and window reloads (webview getState/setState):
// the snapshot URI (for the panel serializer), the camera, the selection, the legend filter.

import type { View } from './viewport';
import { vscodeApi } from './hostChannel';

export interface PanelState {
  uri?: string;
  view?: View;
  selectedPfn?: number;
  hiddenClasses?: number[];
  tab?: string;
  /** Absent memory folded into separators (default true). */
  foldAbsent?: boolean;
}

export function loadState(): PanelState {
  const s = vscodeApi.getState();
  return s && typeof s === 'object' ? (s as PanelState) : {};
}

let pending: PanelState | undefined;
export function saveState(patch: Partial<PanelState>): void {
  const first = !pending;
  pending = { ...(pending ?? loadState()), ...patch };
  // Camera moves come every frame while panning; write at most a few times a second.
  if (first)
    setTimeout(() => {
      vscodeApi.setState(pending);
      pending = undefined;
    }, 200);
}
