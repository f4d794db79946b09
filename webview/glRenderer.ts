// WebGL2 map renderer: the class bytes live in an R8UI texture array (rows × rowPfns cells, split
// into layers of at most MAX_TEXTURE_SIZE rows), the palette in a 256×1 RGBA texture, and one
// full-screen triangle computes each pixel's cell from the view. Panning changes two uniforms.

import type { MapLayout } from './mapLayout';
import type { Decorations, MapRenderer } from './mapRenderer';
import type { View } from './viewport';

const VERTEX = `#version 300 es
void main() {
  vec2 p = vec2(float((gl_VertexID << 1) & 2), float(gl_VertexID & 2));
  gl_Position = vec4(p * 2.0 - 1.0, 0.0, 1.0);
}`;

const FRAGMENT = `#version 300 es
precision highp float;
precision highp int;
precision highp usampler2DArray;
uniform usampler2DArray uClasses;
uniform sampler2D uPalette;
uniform vec2 uOrigin;      // cell at the top-left pixel
uniform float uCellPx;     // device pixels per cell
uniform float uHeight;     // canvas height in device pixels
uniform ivec2 uGrid;       // rowPfns, rows
uniform int uLayerRows;
uniform float uRowsPerSection;
uniform float uRowsPerBlock; // 0: no blocks
uniform vec3 uSectionLine;
uniform vec3 uBlockLine;
uniform vec3 uCursor;
uniform ivec2 uSelected;   // -1: none
out vec4 outColour;

// Distance in pixels from the pixel to the nearest multiple of 'period' rows.
float lineDist(float y, float period) {
  float r = mod(y, period);
  return min(r, period - r) * uCellPx;
}

void main() {
  vec2 px = vec2(gl_FragCoord.x, uHeight - gl_FragCoord.y);
  vec2 cell = uOrigin + px / uCellPx;
  vec4 bg = texelFetch(uPalette, ivec2(254, 0), 0);
  if (cell.x < 0.0 || cell.y < 0.0 || cell.x >= float(uGrid.x) || cell.y >= float(uGrid.y)) { outColour = bg; return; }
  ivec2 c = ivec2(floor(cell));
  uint cls = texelFetch(uClasses, ivec3(c.x, c.y % uLayerRows, c.y / uLayerRows), 0).r;
  vec3 col = texelFetch(uPalette, ivec2(int(cls), 0), 0).rgb;
  // A hairline between cells once they are big enough to tell apart.
  if (uCellPx >= 6.0) {
    vec2 f = fract(cell) * uCellPx;
    if (f.x < 1.0 || f.y < 1.0) col = mix(col, bg.rgb, 0.55);
  }
  // Section and block outlines, only when there is room for them.
  if (uRowsPerSection * uCellPx >= 6.0 && lineDist(cell.y, uRowsPerSection) < 0.75) col = uSectionLine;
  if (uRowsPerBlock > 0.0 && uRowsPerBlock * uCellPx >= 4.0 && lineDist(cell.y, uRowsPerBlock) < 1.25) col = uBlockLine;
  if (uSelected.x >= 0) {
    // A ring around the selected cell, at least a few pixels wide whatever the zoom.
    vec2 d = (cell - vec2(uSelected) - 0.5) * uCellPx;
    float half_ = max(uCellPx * 0.5, 3.0);
    float m = max(abs(d.x), abs(d.y));
    if (m >= half_ && m < half_ + 2.5) col = uCursor;
  }
  outColour = vec4(col, 1.0);
}`;

function compile(gl: WebGL2RenderingContext, type: number, src: string): WebGLShader {
  const s = gl.createShader(type)!;
  gl.shaderSource(s, src);
  gl.compileShader(s);
  if (!gl.getShaderParameter(s, gl.COMPILE_STATUS)) throw new Error('shader: ' + gl.getShaderInfoLog(s));
  return s;
}

export class GlRenderer implements MapRenderer {
  readonly kind = 'webgl2';
  private readonly prog: WebGLProgram;
  private readonly classesTex: WebGLTexture;
  private readonly paletteTex: WebGLTexture;
  private readonly layerRows: number;
  private readonly u: Record<string, WebGLUniformLocation | null> = {};

  /** Throws when WebGL2 is unavailable or too small; the caller falls back to Canvas2D. */
  constructor(
    private readonly gl: WebGL2RenderingContext,
    private readonly layout: MapLayout,
    private readonly cells: Uint8Array,
  ) {
    const maxSize = gl.getParameter(gl.MAX_TEXTURE_SIZE) as number;
    const maxLayers = gl.getParameter(gl.MAX_ARRAY_TEXTURE_LAYERS) as number;
    if (layout.rowPfns > maxSize) throw new Error(`rows of ${layout.rowPfns} cells exceed MAX_TEXTURE_SIZE ${maxSize}`);
    this.layerRows = Math.min(maxSize, layout.rows);
    const layers = Math.ceil(layout.rows / this.layerRows);
    if (layers > maxLayers) throw new Error(`${layers} texture layers exceed MAX_ARRAY_TEXTURE_LAYERS ${maxLayers}`);

    const p = gl.createProgram()!;
    gl.attachShader(p, compile(gl, gl.VERTEX_SHADER, VERTEX));
    gl.attachShader(p, compile(gl, gl.FRAGMENT_SHADER, FRAGMENT));
    gl.linkProgram(p);
    if (!gl.getProgramParameter(p, gl.LINK_STATUS)) throw new Error('link: ' + gl.getProgramInfoLog(p));
    this.prog = p;
    for (const n of ['uClasses', 'uPalette', 'uOrigin', 'uCellPx', 'uHeight', 'uGrid', 'uLayerRows', 'uRowsPerSection', 'uRowsPerBlock', 'uSectionLine', 'uBlockLine', 'uCursor', 'uSelected'])
      this.u[n] = gl.getUniformLocation(p, n);

    gl.pixelStorei(gl.UNPACK_ALIGNMENT, 1);
    this.classesTex = gl.createTexture()!;
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D_ARRAY, this.classesTex);
    gl.texStorage3D(gl.TEXTURE_2D_ARRAY, 1, gl.R8UI, layout.rowPfns, this.layerRows, layers);
    for (const k of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D_ARRAY, k, gl.NEAREST);
    this.update(0, layout.cells);

    this.paletteTex = gl.createTexture()!;
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, this.paletteTex);
    gl.texStorage2D(gl.TEXTURE_2D, 1, gl.RGBA8, 256, 1);
    for (const k of [gl.TEXTURE_MIN_FILTER, gl.TEXTURE_MAG_FILTER]) gl.texParameteri(gl.TEXTURE_2D, k, gl.NEAREST);
  }

  setPalette(rgba: Uint8Array): void {
    const gl = this.gl;
    gl.activeTexture(gl.TEXTURE1);
    gl.bindTexture(gl.TEXTURE_2D, this.paletteTex);
    gl.texSubImage2D(gl.TEXTURE_2D, 0, 0, 0, 256, 1, gl.RGBA, gl.UNSIGNED_BYTE, rgba);
  }

  update(from: number, to: number): void {
    const gl = this.gl;
    const w = this.layout.rowPfns;
    const r0 = Math.floor(from / w);
    const r1 = Math.min(this.layout.rows, Math.ceil(to / w));
    gl.activeTexture(gl.TEXTURE0);
    gl.bindTexture(gl.TEXTURE_2D_ARRAY, this.classesTex);
    // Whole rows, split at layer boundaries.
    for (let r = r0; r < r1; ) {
      const layer = Math.floor(r / this.layerRows);
      const end = Math.min(r1, (layer + 1) * this.layerRows);
      gl.texSubImage3D(gl.TEXTURE_2D_ARRAY, 0, 0, r - layer * this.layerRows, layer, w, end - r, 1, gl.RED_INTEGER, gl.UNSIGNED_BYTE, this.cells.subarray(r * w, end * w));
      r = end;
    }
  }

  draw(v: View, d: Decorations): void {
    const gl = this.gl;
    const l = this.layout;
    gl.viewport(0, 0, gl.drawingBufferWidth, gl.drawingBufferHeight);
    gl.useProgram(this.prog);
    gl.uniform1i(this.u.uClasses, 0);
    gl.uniform1i(this.u.uPalette, 1);
    gl.uniform2f(this.u.uOrigin, v.x, v.y);
    gl.uniform1f(this.u.uCellPx, v.cellPx);
    gl.uniform1f(this.u.uHeight, gl.drawingBufferHeight);
    gl.uniform2i(this.u.uGrid, l.rowPfns, l.rows);
    gl.uniform1i(this.u.uLayerRows, this.layerRows);
    gl.uniform1f(this.u.uRowsPerSection, l.pfnsPerSection / l.rowPfns);
    gl.uniform1f(this.u.uRowsPerBlock, l.pfnsPerBlock / l.rowPfns);
    gl.uniform3f(this.u.uSectionLine, d.sectionLine[0] / 255, d.sectionLine[1] / 255, d.sectionLine[2] / 255);
    gl.uniform3f(this.u.uBlockLine, d.blockLine[0] / 255, d.blockLine[1] / 255, d.blockLine[2] / 255);
    gl.uniform3f(this.u.uCursor, d.cursor[0] / 255, d.cursor[1] / 255, d.cursor[2] / 255);
    gl.uniform2i(this.u.uSelected, d.selected?.x ?? -1, d.selected?.y ?? -1);
    gl.drawArrays(gl.TRIANGLES, 0, 3);
  }

  dispose(): void {
    this.gl.deleteTexture(this.classesTex);
    this.gl.deleteTexture(this.paletteTex);
    this.gl.deleteProgram(this.prog);
  }
}
