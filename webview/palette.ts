// Colours of page classes. See webview/PALETTE.md for the reasoning.
// Families share a hue (Okabe–Ito base colours, safe for the common colour-vision deficiencies) and
// members differ in lightness; "nothing here" classes are mixes of the theme's background and
// foreground so they recede; hwpoison uses the theme foreground, the strongest contrast available.

import type { PaletteName } from '../shared/protocol';

type Rgb = [number, number, number];

/** Special cell values of the webview's class store, beyond the class vocabulary. */
export const CELL_NOT_LOADED = 255;
export const CELL_OUTSIDE = 254;
/** Rows that stand for a collapsed run of absent sections. */
export const CELL_SEPARATOR = 253;

const FIXED: Record<PaletteName, Record<string, string>> = {
  'colorblind-safe': {
    free: '#56B4E9',
    unaccepted: '#BFE3F5',
    'lru-anon': '#009E73',
    'lru-file': '#7CCBA2',
    'compound-head': '#0072B2',
    'compound-tail': '#3D8CC4',
    hugetlb: '#5A4FCF',
    reserved: '#E69F00',
    slab: '#F0E442',
    pagetable: '#B07A00',
    'kernel-other': '#D9C27A',
    vmemmap: '#8C6D31',
    'zone-device': '#999933',
    'offline-skippable': '#CC79A7',
    'offline-movable': '#EBC0DA',
    'offline-unmovable': '#D55E00',
    offline: '#8E3B65',
  },
  'high-contrast': {
    free: '#1E90FF',
    unaccepted: '#1E90FF',
    'lru-anon': '#00C853',
    'lru-file': '#00C853',
    'compound-head': '#00C853',
    'compound-tail': '#00C853',
    hugetlb: '#00C853',
    reserved: '#FFB000',
    slab: '#FFB000',
    pagetable: '#FFB000',
    'kernel-other': '#FFB000',
    vmemmap: '#FFB000',
    'zone-device': '#FFB000',
    'offline-skippable': '#FF66FF',
    'offline-movable': '#B388FF',
    'offline-unmovable': '#FF1744',
    offline: '#FF1744',
  },
};

/** Classes that mean "no page content to show", as a fraction of foreground mixed into the background. */
const RECEDING: Record<string, number> = {
  'no-memmap': 0.1,
  'not-in-listing': 0.12,
  excluded: 0.2,
  'section-offline': 0.3,
  unknown: 0.45,
};

export interface ThemeColours {
  background: Rgb;
  foreground: Rgb;
}

export function parseCssColour(s: string, fallback: Rgb): Rgb {
  const t = s.trim();
  let m = /^#([0-9a-f]{6})/i.exec(t);
  if (m) return [0, 2, 4].map((i) => parseInt(m![1].slice(i, i + 2), 16)) as Rgb;
  m = /^#([0-9a-f]{3})$/i.exec(t);
  if (m) return [0, 1, 2].map((i) => parseInt(m![1][i] + m![1][i], 16)) as Rgb;
  m = /rgba?\(\s*(\d+)[ ,]+(\d+)[ ,]+(\d+)/i.exec(t);
  if (m) return [+m[1], +m[2], +m[3]];
  return fallback;
}

export function themeColours(): ThemeColours {
  const cs = getComputedStyle(document.body);
  return {
    background: parseCssColour(cs.getPropertyValue('--vscode-editor-background'), [30, 30, 30]),
    foreground: parseCssColour(cs.getPropertyValue('--vscode-editor-foreground'), [212, 212, 212]),
  };
}

function mix(a: Rgb, b: Rgb, t: number): Rgb {
  return [0, 1, 2].map((i) => Math.round(a[i] * (1 - t) + b[i] * t)) as Rgb;
}

export function classColour(name: string, palette: PaletteName, theme: ThemeColours): Rgb {
  if (name === 'hwpoison') return theme.foreground;
  if (name in RECEDING) return mix(theme.background, theme.foreground, RECEDING[name]);
  const c = FIXED[palette][name];
  return c ? parseCssColour(c, [128, 128, 128]) : mix(theme.background, theme.foreground, 0.5);
}

export function cssColour(c: Rgb): string {
  return `rgb(${c[0]}, ${c[1]}, ${c[2]})`;
}

/**
 * 256 RGBA entries indexed by cell value. Hidden classes (legend filter) fade into the background
 * so the shown ones stand out; not-loaded cells are a faint mix; outside cells are the background.
 */
export function paletteRgba(
  classNames: string[],
  palette: PaletteName,
  theme: ThemeColours,
  hidden: ReadonlySet<number>,
): Uint8Array {
  const out = new Uint8Array(256 * 4);
  const put = (i: number, c: Rgb) => out.set([c[0], c[1], c[2], 255], i * 4);
  for (let i = 0; i < 256; i++) put(i, theme.background);
  classNames.forEach((name, id) => {
    const c = classColour(name, palette, theme);
    put(id, hidden.has(id) ? mix(theme.background, c, 0.12) : c);
  });
  put(CELL_NOT_LOADED, mix(theme.background, theme.foreground, 0.18));
  put(CELL_OUTSIDE, theme.background);
  put(CELL_SEPARATOR, mix(theme.background, theme.foreground, 0.07));
  return out;
}
