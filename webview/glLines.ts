// Section and block outlines for the WebGL2 map as static geometry: one thin quad per row where a
// section or block starts (from rowFlags.ts), built once per layout. The vertex shader places the
// quads from the same view uniforms as the map, so panning changes uniforms only, and the map's
// fragment shader stays a plain texture lookup (line tests per pixel are slow on software GL).

import type { MapLayout } from './mapLayout';
import type { Rgb } from './mapRenderer';
import { ROW_BLOCK, ROW_SECTION } from './rowFlags';
import type { View } from './viewport';

const VERTEX = `#version 300 es
uniform vec2 uOrigin;
uniform float uCellPx;
uniform vec2 uSize;
uniform float uGridW;
uniform bool uShowSec;
uniform bool uShowBlk;
in vec4 aLine; // row, kind (1 section, 2 block), corner x, corner y
flat out float vKind;
void main() {
  bool blk = aLine.y > 1.5;
  float half_ = blk ? 1.25 : 0.6;
  float y = (aLine.x - uOrigin.y) * uCellPx + (aLine.w * 2.0 - 1.0) * half_;
  float x = (aLine.z * uGridW - uOrigin.x) * uCellPx;
  bool show = blk ? uShowBlk : uShowSec;
  gl_Position = show ? vec4(x / uSize.x * 2.0 - 1.0, 1.0 - y / uSize.y * 2.0, 0.0, 1.0) : vec4(2.0, 2.0, 2.0, 1.0);
  vKind = aLine.y;
}`;

const FRAGMENT = `#version 300 es
precision mediump float;
uniform vec3 uSectionLine;
uniform vec3 uBlockLine;
flat in float vKind;
out vec4 outColour;
void main() {
  outColour = vec4(vKind > 1.5 ? uBlockLine : uSectionLine, 1.0);
}`;

const CORNERS = [0, 0, 1, 0, 0, 1, 0, 1, 1, 0, 1, 1];

export class GlLines {
  private readonly prog: WebGLProgram;
  private readonly vao: WebGLVertexArrayObject;
  private readonly buf: WebGLBuffer;
  private readonly count: number;
  private readonly u: Record<string, WebGLUniformLocation | null> = {};

  constructor(
    private readonly gl: WebGL2RenderingContext,
    private readonly layout: MapLayout,
    flags: Uint8Array,
    program: (vertex: string, fragment: string) => WebGLProgram,
  ) {
    this.prog = program(VERTEX, FRAGMENT);
    for (const n of ['uOrigin', 'uCellPx', 'uSize', 'uGridW', 'uShowSec', 'uShowBlk', 'uSectionLine', 'uBlockLine'])
      this.u[n] = gl.getUniformLocation(this.prog, n);
    // Sections first, blocks after, so a block line wins where both start.
    const lines: [number, number][] = [];
    for (const [bit, kind] of [
      [ROW_SECTION, 1],
      [ROW_BLOCK, 2],
    ] as const)
      for (let r = 0; r <= flags.length; r++) if ((flags[r] ?? 0) & bit) lines.push([r, kind]);
    const data = new Float32Array(lines.length * 6 * 4);
    let o = 0;
    for (const [row, kind] of lines)
      for (let i = 0; i < 6; i++) {
        data[o++] = row;
        data[o++] = kind;
        data[o++] = CORNERS[2 * i];
        data[o++] = CORNERS[2 * i + 1];
      }
    this.count = lines.length * 6;
    this.vao = gl.createVertexArray()!;
    gl.bindVertexArray(this.vao);
    this.buf = gl.createBuffer()!;
    gl.bindBuffer(gl.ARRAY_BUFFER, this.buf);
    gl.bufferData(gl.ARRAY_BUFFER, data, gl.STATIC_DRAW);
    const loc = gl.getAttribLocation(this.prog, 'aLine');
    gl.enableVertexAttribArray(loc);
    gl.vertexAttribPointer(loc, 4, gl.FLOAT, false, 16, 0);
    gl.bindVertexArray(null);
  }

  /** Draws into the bound framebuffer of size (w, h), scale = target pixels per device pixel. */
  draw(v: View, w: number, h: number, scale: number, colours: { section: Rgb; block: Rgb }): void {
    const l = this.layout;
    const showSec = (l.pfnsPerSection / l.rowPfns) * v.cellPx >= 6;
    const showBlk = l.pfnsPerBlock > 0 && (l.pfnsPerBlock / l.rowPfns) * v.cellPx >= 4;
    if (!this.count || (!showSec && !showBlk)) return;
    const gl = this.gl;
    gl.useProgram(this.prog);
    gl.uniform2f(this.u.uOrigin, v.x, v.y);
    gl.uniform1f(this.u.uCellPx, v.cellPx * scale);
    gl.uniform2f(this.u.uSize, w, h);
    gl.uniform1f(this.u.uGridW, l.rowPfns);
    gl.uniform1i(this.u.uShowSec, showSec ? 1 : 0);
    gl.uniform1i(this.u.uShowBlk, showBlk ? 1 : 0);
    gl.uniform3f(this.u.uSectionLine, colours.section[0] / 255, colours.section[1] / 255, colours.section[2] / 255);
    gl.uniform3f(this.u.uBlockLine, colours.block[0] / 255, colours.block[1] / 255, colours.block[2] / 255);
    gl.bindVertexArray(this.vao);
    gl.drawArrays(gl.TRIANGLES, 0, this.count);
    gl.bindVertexArray(null);
  }

  dispose(): void {
    this.gl.deleteBuffer(this.buf);
    this.gl.deleteVertexArray(this.vao);
    this.gl.deleteProgram(this.prog);
  }
}
