// Output hygiene: what an input controls (kernel release, file names, warnings) reaches the terminal
// with its control characters escaped, in text and JSON; an unexpected error reaches the panel as a
// message, the file and what to try, its stack only in the log.

import * as assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { escapeControl, escapeJson, escapeLines } from '../../../cli/terminalText';
import { table } from '../../../cli/table';
import { failureReport, INTERNAL_HINT } from '../../../extension/failureReport';
import { ReadFailure } from '../../../extension/workerJob';
import { SnapshotError } from '../../../parsers/errors';

const CLI = resolve('out/cli/kmemmap.js');
const EVIL = '6.12.1\x1b[31mRED\x1b]0;title\x07\x9b2J\x7f\u202e';
/** Bytes a terminal acts on: C0 but newline, DEL, C1, and the bidi override used here. */
// eslint-disable-next-line no-control-regex -- the control bytes are what the test looks for
const RAW_CONTROL = /[\u0000-\u0009\u000b-\u001f\u007f-\u009f\u202e]/;

describe('CLI: control characters in dump-controlled text are escaped', function () {
  this.timeout(60_000);
  const made: string[] = [];
  after(() => made.forEach((d) => rmSync(d, { recursive: true, force: true })));

  /** A capture folder whose uname names the release EVIL, inside a folder whose own name has an escape. */
  function hostileCapture(): string {
    const parent = mkdtempSync(join(tmpdir(), 'kmemmap-hygiene-'));
    made.push(parent);
    const d = join(parent, 'cap\x1b[2Jture');
    mkdirSync(d);
    writeFileSync(join(d, 'kpageflags'), Buffer.alloc(8 * 4));
    writeFileSync(join(d, 'uname'), `Linux host ${EVIL} #1 SMP x86_64 GNU/Linux\n`);
    return d;
  }

  it('summary prints the release and the file name escaped, every line free of raw control bytes', () => {
    const r = spawnSync(process.execPath, [CLI, 'summary', hostileCapture()], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.ok(r.stdout.includes('kernel     6.12.1\\x1b[31mRED\\x1b]0;title\\x07\\x9b2J\\x7f\\u202e'), r.stdout);
    assert.ok(r.stdout.includes('cap\\x1b[2Jture'), 'the file name is escaped');
    for (const line of r.stdout.split('\n')) assert.doesNotMatch(line, RAW_CONTROL, JSON.stringify(line));
  });

  it('summary --json keeps the exact release and writes DEL, C1 and bidi characters as \\u escapes', () => {
    const r = spawnSync(process.execPath, [CLI, 'summary', '--json', hostileCapture()], { encoding: 'utf8' });
    assert.equal(r.status, 0, r.stderr);
    assert.doesNotMatch(r.stdout.replace(/\n/g, ''), RAW_CONTROL);
    assert.equal(JSON.parse(r.stdout).kernel.release, EVIL, 'the same value after parsing');
  });

  it('an error naming a hostile file name is escaped on stderr, exit 2', () => {
    const r = spawnSync(process.execPath, [CLI, 'summary', join(tmpdir(), 'no\x1b[31msuch')], { encoding: 'utf8' });
    assert.equal(r.status, 2);
    assert.match(r.stderr, /no\\x1b\[31msuch: cannot open/);
    assert.doesNotMatch(r.stderr.replace(/\n/g, ''), RAW_CONTROL);
  });

  it('the helpers: fields escape line breaks, line blocks keep them, tables escape cells', () => {
    assert.equal(escapeControl('a\nb\tc\x00d\u0085'), 'a\\nb\\tc\\x00d\\x85');
    assert.equal(escapeLines('ok\nnext\x1bline'), 'ok\nnext\\x1bline');
    assert.equal(escapeJson(JSON.stringify('x\x7f\x9by')), '"x\\u007f\\u009by"');
    assert.equal(JSON.parse(escapeJson(JSON.stringify('x\x7f\x9by'))), 'x\x7f\x9by');
    assert.equal(table(['zone'], [['Nor\x1bmal']]), 'zone\nNor\\x1bmal');
    assert.equal(escapeControl('plain 6.1.0-13-amd64 — ü'), 'plain 6.1.0-13-amd64 — ü', 'printable text is unchanged');
  });
});

describe('extension: failures shown in the panel', () => {
  it('an unexpected error is a message, the file and what to try; its stack is only for the log', () => {
    const e = new TypeError("Cannot read properties of undefined (reading 'x')");
    const r = failureReport('/dumps/vmcore', e);
    assert.equal(r.file, '/dumps/vmcore');
    assert.equal(r.problem, "internal error: Cannot read properties of undefined (reading 'x')");
    assert.equal(r.hint, INTERNAL_HINT);
    assert.doesNotMatch(r.problem + r.hint, /\n\s+at /, 'no stack frames');
    assert.match(r.stack ?? '', /\n\s+at /, 'the stack is kept for the log');
  });

  it('an input error says what it says; a worker failure carries its stack apart', () => {
    assert.deepEqual(failureReport('/x', new SnapshotError('/dumps/vmcore', 'bad header', 'try again')), {
      file: '/dumps/vmcore',
      problem: 'bad header',
      hint: 'try again',
      stack: undefined,
    });
    const w = failureReport(
      '/x',
      new ReadFailure('/dumps/vmcore', 'internal error: boom', INTERNAL_HINT, 'Error: boom\n    at f (a.js:1:1)'),
    );
    assert.equal(w.problem, 'internal error: boom');
    assert.match(w.stack ?? '', /at f/);
  });
});
