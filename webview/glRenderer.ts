// WebGL2 map renderer. The class bytes live in an R8UI texture array (display rows × rowPfns,
// split into layers of at most MAX_TEXTURE_SIZE rows) whose mip levels hold the max-priority
// pyramid; the row flags in a small R8UI texture; the palette in a 256×1 RGBA texture. One
// full-screen triangle and a fragment shader compute every pixel from the view uniforms: panning
// and zooming change uniforms only, nothing is uploaded or rebuilt per frame. During a gesture the
// picture can be drawn at a fraction of the resolution into a framebuffer and blitted up.

import type { Decorations, MapRenderer, MapSources } from './mapRenderer';
import { GlLines } from './glLines';
import { CELL_OUTSIDE, CELL_SEPARATOR } from './palette';
import { levelFor } from './priorityPyramid';
import type { View } from './viewport';

/** Rows per lazy upload unit, at every level. */
const CHUNK = 256;

const VERTEX = `#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

const FRAGMENT = `#version 300 es
precision highp float;
precision highp int;
precision highp usampler2DArray;
precision highp usampler2D;
uniform usampler2DArray uClasses;
uniform sampler2D uPalette;
uniform vec2 uOrigin;      // cell at the top-left pixel
uniform float uCellPx;     // target pixels per cell
uniform float uHeight;     // target height in pixels
uniform ivec2 uGrid;       // rowPfns, rows
uniform int uLayerRows;
uniform int uLevel;        // pyramid level to read
uniform vec3 uSectionLine;
uniform vec3 uCursor;
uniform vec3 uBackground;
uniform ivec2 uSelected;   // -1: none
uniform ivec4 uHalo;       // classes ringed when zoomed out (-1: none)
uniform int uMaxLevel;
out vec4 outColour;

bool isHalo(uint c) {
  int i = int(c);
  return i == uHalo.x || i == uHalo.y || i == uHalo.z || i == uHalo.w;
}

// Zoomed out, a lone page of a halo class is one pixel: ring it. Reads 4 texels two levels up (each
// covers 4 pixels), at the pixel's neighbours 2 pixels away: a ring of 2 to 5 pixels around it.
uint haloNear(ivec2 c) {
  int L2 = min(uLevel + 2, uMaxLevel);
  if (L2 <= uLevel) return 255u;
  int lr = uLayerRows >> L2;
  ivec2 g = (uGrid - 1) >> L2;
  int r = 2 << uLevel;
  ivec2 lo = clamp((c - r) >> L2, ivec2(0), g);
  ivec2 hi = clamp((c + r) >> L2, ivec2(0), g);
  uint a = texelFetch(uClasses, ivec3(lo.x, lo.y % lr, lo.y / lr), L2).r;
  uint b = texelFetch(uClasses, ivec3(hi.x, lo.y % lr, lo.y / lr), L2).r;
  uint d = texelFetch(uClasses, ivec3(lo.x, hi.y % lr, hi.y / lr), L2).r;
  uint e = texelFetch(uClasses, ivec3(hi.x, hi.y % lr, hi.y / lr), L2).r;
  return isHalo(a) ? a : isHalo(b) ? b : isHalo(d) ? d : isHalo(e) ? e : 255u;
}

void main() {
  vec2 px = vec2(gl_FragCoord.x, uHeight - gl_FragCoord.y);
  vec2 cell = uOrigin + px / uCellPx;
  if (cell.x < 0.0 || cell.y < 0.0 || cell.x >= float(uGrid.x) || cell.y >= float(uGrid.y)) { outColour = vec4(uBackground, 1.0); return; }
  ivec2 c = ivec2(floor(cell));
  ivec2 t = c >> uLevel;
  int lr = uLayerRows >> uLevel;
  uint cls = texelFetch(uClasses, ivec3(t.x, t.y % lr, t.y / lr), uLevel).r;
  vec3 col = texelFetch(uPalette, ivec2(int(cls), 0), 0).rgb;
  if (uLevel > 0 && uHalo.x >= 0 && !isHalo(cls)) {
    uint n = haloNear(c);
    if (n != 255u) col = mix(col, texelFetch(uPalette, ivec2(int(n), 0), 0).rgb, 0.7);
  }
  if (cls == ${CELL_SEPARATOR}u) {
    // Collapsed absent memory: a hatched band.
    if (mod(px.x + px.y, 9.0) < 2.0) col = mix(col, uSectionLine, 0.9);
  } else if (uCellPx >= 6.0) {
    // A hairline between cells once they are big enough to tell apart.
    vec2 f = fract(cell) * uCellPx;
    if (f.x < 1.0 || f.y < 1.0) col = mix(col, uBackground, 0.55);
  }
  if (uSelected.x >= 0) {
    // A ring around the selected cell, at least a few pixels wide whatever the zoom.
    vec2 d = (cell - vec2(uSelected) - 0.5) * uCellPx;
    float half_ = max(uCellPx * 0.5, 3.0);
    float m = max(abs(d.x), abs(d.y));
    if (m >= half_ && m < half_ + 2.5) col = uCursor;
  }
  outColour = vec4(col, 1.0);
}`;

/** Upscales the reduced-resolution picture of a gesture: one texture read per pixel. */
const UPSCALE = `#version 300 es
precision mediump float;
uniform sampler2D uSmall;
uniform vec2 uSize;        // target size in pixels
out vec4 outColour;
void main() {
  outColour = texture(uSmall, gl_FragCoord.xy / uSize);
}`;

const UNIFORMS = [
  'uClasses',
  'uPalette',
  'uOrigin',
  'uCellPx',
  'uHeight',
  'uGrid',
  'uLayerRows',
  'uLevel',
  'uSectionLine',
  'uCursor',
  'uBackground',
  'uSelected',
  'uHalo',
  'uMaxLevel',
] as const;

function compile(gl: WebGL2RenderingContext, type: number, src: string): WebGLShader {
  const s = gl.createShader(type)!;
  gl.shaderSource(s, src);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error('shader: ' + gl.getShaderInfoLog(s));
  return s;
}

function link(gl: WebGL2RenderingContext, vertex: string, fragment: string): WebGLProgram {
  const p = gl.createProgram()!;
  gl.attachShader(p, compile(gl, gl.VERTEX_SHADER, vertex));
  gl.attachShader(p, compile(gl, gl.FRAGMENT_SHADER, fragment));
  gl.linkProgram(p);
  if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error('link: ' + gl.getProgramInfoLog(p));
  return p;
}

export class GlRenderer implements MapRenderer {
  readonly kind = 'webgl2';
  uploads = 0;
  private readonly prog: WebGLProgram;
  private readonly classesTex: WebGLTexture;
  private readonly lines: GlLines;
  private readonly paletteTex: WebGLTexture;
  private readonly layerRows: number;
  private readonly u = {} as Record<(typeof UNIFORMS)[number], WebGLUniformLocation | null>;
  private fbo: { fb: WebGLFramebuffer; tex: WebGLTexture; w: number; h: number } | undefined;
  /** Reduced-size framebuffers by size, reused across gestures (a few scales only). */
  private readonly fbos = new Map<string, { fb: WebGLFramebuffer; tex: WebGLTexture; w: number; h: number }>();
  private readonly upscale: WebGLProgram;

  /** Throws when WebGL2 is unavailable or too small; the caller falls back to Canvas2D. */
  constructor(
    private readonly gl: WebGL2RenderingContext,
    private readonly src: MapSources,
  ) {
    const l = src.rows.layout;
    const pyr = src.pyramid;
    const maxSize = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
    const maxLayers = gl.getParameter(gl.MAX_ARRAY_TEXTURE_LAYERS) as number;
    if (l.rowPfns > maxSize) throw new Error(`rows of ${l.rowPfns} cells exceed MAX_TEXTURE_SIZE ${maxSize}`);
    const padded = pyr.heights[0];
    this.layerRows = Math.min(maxSize, padded);
    if (padded % this.layerRows) throw new Error(`${padded} rows do not split into layers of ${this.layerRows}`);
    const layers = padded / this.layerRows;
    if (layers > maxLayers) throw new Error(`${layers} texture layers exceed MAX_ARRAY_TEXTURE_LAYERS ${maxLayers}`);

    const p = gl.createProgram()!;
    gl.attachShader(p, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(p, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error('link: ' + gl.getProgramInfoLog(p));
    this.prog = p;
    const q = gl.createProgram()!;
    gl.attachShader(q, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(q, compile(gl, gl.FRAGMENT_SHADER, UPSCALE));
    gl.linkProgram(q);
    if (!gl.getProgramParameter(q, gl.LINK_STATUS)) throw new Error('link: ' + gl.getProgramInfoLog(q));
    this.upscale = q;
    for (const n of UNIFORMS) this.u[n] = gl.getUniformLocation(p, n);

    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    this.classesTex = gl.createTexture()!;
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D_ARRAY, this.classesTex);
    gl.texStorage3D(gl.TEXTURE_2D_ARRAY, pyr.maxLevel + 1, gl.R8UI, l.rowPfns, this.layerRows, layers);
    gl.texParameteri(gl.TEXTURE_2D_ARRAY, gl.TEXTURE_MIN_FILTER, gl.NEAREST_MIPMAP_NEAREST);
    gl.texParameteri(gl.TEXTURE_2D_ARRAY, gl.TEXTURE_MAG_FILTER, gl.NEAREST);
    gl.texParameteri(gl.TEXTURE_2D_ARRAY, gl.TEXTURE_MAX_LEVEL, pyr.maxLevel);
    for (let L = 0; L <= pyr.maxLevel; L++) this.uploaded.push(new Uint8Array(Math.ceil(this.levelRows(L) / CHUNK)));

    this.lines = new GlLines(gl, l, src.flags, (v, f) => link(gl, v, f));

    this.paletteTex = gl.createTexture()!;
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, this.paletteTex);
    gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, 256, 1);
    for (const k of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D, k, gl.NEAREST);
  }

  private background: [number, number, number] = [0, 0, 0];

  setPalette(rgba: Uint8Array): void {
    const gl = this.gl;
    const o = CELL_OUTSIDE * 4;
    this.background = [rgba[o] / 255, rgba[o + 1] / 255, rgba[o + 2] / 255];
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, this.paletteTex);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, 256, 1, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
  }

  /** Rows of pyramid level L uploaded so far, per chunk of CHUNK rows (uploads are lazy, see ensure()). */
  private uploaded: Uint8Array[] = [];

  update(levels: [number, number][]): void {
    // Only rows of chunks already on the GPU; the others go up whole, with these bytes, when needed.
    levels.forEach(([y0, y1], L) => {
      for (let c = Math.floor(y0 / CHUNK); c * CHUNK < y1; c++)
        if (this.uploaded[L]?.[c]) this.put(L, Math.max(y0, c * CHUNK), Math.min(y1, (c + 1) * CHUNK));
    });
  }

  /** Uploads the chunks of level L that hold rows [y0, y1) and are not on the GPU yet. */
  ensure(L: number, y0: number, y1: number): void {
    const h = this.levelRows(L);
    const up = this.uploaded[L];
    for (let c = Math.max(0, Math.floor(y0 / CHUNK)); c * CHUNK < Math.min(h, y1); c++)
      if (!up[c]) {
        this.put(L, c * CHUNK, Math.min(h, (c + 1) * CHUNK));
        up[c] = 1;
      }
  }

  /** Uploads chunks nobody asked for yet, for at most budgetMs; false when everything is up. */
  idle(budgetMs: number): boolean {
    const t0 = performance.now();
    for (let L = this.uploaded.length - 1; L >= 0; L--) {
      const up = this.uploaded[L];
      for (let c = 0; c < up.length; c++)
        if (!up[c]) {
          this.put(L, c * CHUNK, Math.min(this.levelRows(L), (c + 1) * CHUNK));
          up[c] = 1;
          if (performance.now() - t0 > budgetMs) return true;
        }
    }
    return false;
  }

  private levelRows(L: number): number {
    return L === 0 ? this.src.rows.layout.rows : this.src.pyramid.heights[L];
  }

  /** texSubImage3D of level-L rows [y0, y1): whole rows, split at layer boundaries. */
  private put(L: number, y0: number, y1: number): void {
    const gl = this.gl;
    const lr = this.layerRows >> L;
    const w = Math.max(1, this.src.rows.layout.rowPfns >> L);
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D_ARRAY, this.classesTex);
    const send = (y: number, n: number, data: Uint8Array) => {
      this.uploads++;
      const layer = Math.floor(y / lr);
      gl.texSubImage3D(
        gl.TEXTURE_2D_ARRAY,
        L,
        0,
        y - layer * lr,
        layer,
        w,
        n,
        1,
        gl.RED_INTEGER,
        gl.UNSIGNED_BYTE,
        data,
      );
    };
    for (let y = y0; y < y1;) {
      const layerEnd = Math.min(y1, (Math.floor(y / lr) + 1) * lr);
      if (L > 0) {
        send(y, layerEnd - y, this.src.pyramid.levels[L].subarray(y * w, layerEnd * w));
        y = layerEnd;
        continue;
      }
      // Level 0 in contiguous runs of MapRows (one call per memory run).
      const e = this.src.rows.runEnd(y, layerEnd);
      send(y, e - y, this.src.rows.run(y, e));
      y = e;
    }
  }

  private target(scale: number): { w: number; h: number } {
    const gl = this.gl;
    const W = gl.drawingBufferWidth;
    const H = gl.drawingBufferHeight;
    if (scale >= 1) {
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      return { w: W, h: H };
    }
    const w = Math.max(1, Math.ceil(W * scale));
    const h = Math.max(1, Math.ceil(H * scale));
    this.fbo = this.fbos.get(`${w}x${h}`);
    if (!this.fbo) {
      if (this.fbos.size >= 6) this.dropFramebuffers(); // the canvas was resized
      const fb = gl.createFramebuffer()!;
      const tex = gl.createTexture()!;
      gl.activeTexture(gl.TEXTURE3);
      gl.bindTexture(gl.TEXTURE_2D, tex);
      gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, w, h);
      for (const k of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D, k, gl.NEAREST);
      for (const k of [gl.TEXTURE_WRAP_S, gl.TEXTURE_WRAP_T]) gl.texParameteri(gl.TEXTURE_2D, k, gl.CLAMP_TO_EDGE);
      gl.bindFramebuffer(gl.FRAMEBUFFER, fb);
      gl.framebufferTexture2D(gl.FRAMEBUFFER, gl.COLOR_ATTACHMENT0, gl.TEXTURE_2D, tex, 0);
      this.fbo = { fb, tex, w, h };
      this.fbos.set(`${w}x${h}`, this.fbo);
    }
    gl.bindFramebuffer(gl.FRAMEBUFFER, this.fbo.fb);
    return { w, h };
  }

  draw(v: View, d: Decorations, scale = 1): void {
    const gl = this.gl;
    const l = this.src.rows.layout;
    const t = this.target(scale);
    const s = t.w / gl.drawingBufferWidth;
    const cellPx = v.cellPx * s;
    gl.viewport(0, 0, t.w, t.h);
    gl.useProgram(this.prog);
    gl.uniform1i(this.u.uClasses, 0);
    gl.uniform1i(this.u.uPalette, 1);
    gl.uniform2f(this.u.uOrigin, v.x, v.y);
    gl.uniform1f(this.u.uCellPx, cellPx);
    gl.uniform1f(this.u.uHeight, t.h);
    gl.uniform2i(this.u.uGrid, l.rowPfns, l.rows);
    gl.uniform1i(this.u.uLayerRows, this.layerRows);
    const level = levelFor(cellPx, this.src.pyramid.maxLevel);
    this.ensure(level, Math.floor(v.y) >> level, (Math.ceil(v.y + t.h / cellPx) >> level) + 1);
    const haloLevel = Math.min(level + 2, this.src.pyramid.maxLevel);
    if (level > 0 && scale >= 1 && d.halo?.length && haloLevel > level)
      this.ensure(haloLevel, (Math.floor(v.y) >> haloLevel) - 1, (Math.ceil(v.y + t.h / cellPx) >> haloLevel) + 2);
    gl.uniform1i(this.u.uLevel, level);
    gl.uniform3f(this.u.uSectionLine, d.sectionLine[0] / 255, d.sectionLine[1] / 255, d.sectionLine[2] / 255);
    gl.uniform3f(this.u.uCursor, d.cursor[0] / 255, d.cursor[1] / 255, d.cursor[2] / 255);
    gl.uniform3f(this.u.uBackground, ...this.background);
    gl.uniform2i(this.u.uSelected, d.selected?.x ?? -1, d.selected?.y ?? -1);
    // No halo in reduced-resolution gesture frames (4 texel reads a pixel cost software GL a frame rate).
    const halo = scale >= 1 ? (d.halo ?? []) : [];
    gl.uniform4i(this.u.uHalo, halo[0] ?? -1, halo[1] ?? -1, halo[2] ?? -1, halo[3] ?? -1);
    gl.uniform1i(this.u.uMaxLevel, this.src.pyramid.maxLevel);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
    this.lines.draw(v, t.w, t.h, s, { section: d.sectionLine, block: d.blockLine });
    if (scale < 1) {
      gl.bindFramebuffer(gl.FRAMEBUFFER, null);
      gl.viewport(0, 0, gl.drawingBufferWidth, gl.drawingBufferHeight);
      gl.useProgram(this.upscale);
      gl.activeTexture(gl.TEXTURE3);
      gl.bindTexture(gl.TEXTURE_2D, this.fbo!.tex);
      gl.uniform1i(gl.getUniformLocation(this.upscale, 'uSmall'), 3);
      gl.uniform2f(gl.getUniformLocation(this.upscale, 'uSize'), gl.drawingBufferWidth, gl.drawingBufferHeight);
      gl.drawArrays(gl.TRIANGLES, 0, 3);
    }
  }

  finish(): void {
    const px = new Uint8Array(4);
    this.gl.readPixels(0, 0, 1, 1, this.gl.RGBA, this.gl.UNSIGNED_BYTE, px);
  }

  dispose(): void {
    const gl = this.gl;
    gl.deleteTexture(this.classesTex);
    this.lines.dispose();
    gl.deleteTexture(this.paletteTex);
    gl.deleteProgram(this.prog);
    gl.deleteProgram(this.upscale);
    this.dropFramebuffers();
  }

  private dropFramebuffers(): void {
    for (const f of this.fbos.values()) {
      this.gl.deleteFramebuffer(f.fb);
      this.gl.deleteTexture(f.tex);
    }
    this.fbos.clear();
    this.fbo = undefined;
  }
}
