// Types of the parts of lzo-wasm (Tidepool Project; an Emscripten build of FFmpeg's av_lzo1x_decode)
// that codecs.ts uses. The package ships an ES module factory without type declarations.
declare module 'lzo-wasm/lzo-wasm.js' {
  export interface LzoWasmModule {
    HEAPU8: Uint8Array;
    _malloc(size: number): number;
    _free(ptr: number): void;
    cwrap(name: string, ret: 'number', args: 'number'[]): (...args: number[]) => number;
  }
  export interface LzoWasmModuleArg {
    /** Emscripten hook: instantiate the wasm ourselves (synchronously) and hand the instance back. */
    instantiateWasm?(
      imports: WebAssembly.Imports,
      receive: (instance: WebAssembly.Instance, module: WebAssembly.Module) => void,
    ): WebAssembly.Exports;
    print?(...args: unknown[]): void;
    printErr?(...args: unknown[]): void;
    [key: string]: unknown;
  }
  const createModule: (arg?: LzoWasmModuleArg) => Promise<LzoWasmModule>;
  export default createModule;
}
