#!/usr/bin/env node
// What the banner's wasm is made of (issue #14): each section's bytes, and when the module keeps its
// function names (a build linked with --profiling-funcs), the code section's bytes grouped by where
// the functions come from (nlohmann's templates, musl's number formatting and parsing, the core, …),
// raw and as a rough gzip share. Prints a Markdown table.
//
//   node web/tools/wasm_sizes.js build/wasm/wasm/consent-banner.wasm [more.wasm …]
'use strict';
const fs = require('node:fs');
const zlib = require('node:zlib');

const SECTION_NAMES = ['custom', 'type', 'import', 'function', 'table', 'memory', 'global', 'export', 'start',
  'element', 'code', 'data', 'datacount'];

// Function name -> group, first match wins (names as the name section keeps them: demangled C++).
const GROUPS = [
  ['nlohmann (json templates)', /nlohmann/],
  ['musl printf family', /^(printf_core|fmt_fp|fmt_[a-z]+|pop_arg|vfprintf|vsnprintf|snprintf|sn_write|out|pad|getint|__fwritex|fwrite|frexpl?|wctomb|wcrtomb)\b/],
  ['musl strtod / scanf family', /^(strto[a-z]*|__floatscan|decfloat|hexfloat|scanexp|__intscan|__shlim|__shgetc|copysignl|scalbnl?|fmodl?|__extenddftf2|__trunctfdf2|__.*tf[23]|__fe_raise_inexact|__multf3|__addtf3|__subtf3|__divtf3|__ashlti3|__lshrti3|__letf2|__getf2|__eqtf2|__netf2|__unordtf2|__floatsitf|__floatunsitf|__fixtfsi|__fixunstfsi)\b/],
  ['libc++ (std::)', /^std::|^void std::|^operator new|^operator delete|__cxa_|__cxxabiv1|basic_string|__libcpp|__tree|__split_buffer/],
  ['consent core', /consent::/],
  ['emmalloc / libc', /^(em|dl)?(malloc|free|realloc|calloc|memalign|sbrk|emscripten_|memcpy|memset|memmove|memcmp|strlen|strcmp|strncmp|__)/],
];

function leb(bytes, pos) {
  let result = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    result += (b & 0x7f) * 2 ** shift;
    shift += 7;
    if (!(b & 0x80)) return [result, pos];
  }
}

function sections(bytes) {
  const out = [];
  let pos = 8;
  while (pos < bytes.length) {
    const id = bytes[pos++];
    const [size, start] = leb(bytes, pos);
    let name = SECTION_NAMES[id] || `id ${id}`;
    if (id === 0) {
      const [len, p] = leb(bytes, start);
      name = 'custom "' + Buffer.from(bytes.subarray(p, p + len)).toString('utf8') + '"';
    }
    out.push({ id, name, start, size, end: start + size });
    pos = start + size;
  }
  return out;
}

function functionNames(bytes, all) {
  const names = new Map();
  const section = all.find((s) => s.name === 'custom "name"');
  if (!section) return names;
  let [len, pos] = leb(bytes, section.start);
  pos += len;
  while (pos < section.end) {
    const kind = bytes[pos++];
    const [size, p] = leb(bytes, pos);
    if (kind === 1) {
      let [count, q] = leb(bytes, p);
      for (let i = 0; i < count; i++) {
        let index;
        let n;
        [index, q] = leb(bytes, q);
        [n, q] = leb(bytes, q);
        names.set(index, Buffer.from(bytes.subarray(q, q + n)).toString('utf8'));
        q += n;
      }
    }
    pos = p + size;
  }
  return names;
}

function importedFunctions(bytes, all) {
  const section = all.find((s) => s.id === 2);
  if (!section) return 0;
  let [count, pos] = leb(bytes, section.start);
  let functions = 0;
  for (let i = 0; i < count; i++) {
    let n;
    [n, pos] = leb(bytes, pos); pos += n;
    [n, pos] = leb(bytes, pos); pos += n;
    const kind = bytes[pos++];
    if (kind === 0) { functions++; [, pos] = leb(bytes, pos); }
    else if (kind === 1) { pos++; const flags = bytes[pos++]; [, pos] = leb(bytes, pos); if (flags & 1) [, pos] = leb(bytes, pos); }
    else if (kind === 2) { const flags = bytes[pos++]; [, pos] = leb(bytes, pos); if (flags & 1) [, pos] = leb(bytes, pos); }
    else if (kind === 3) { pos += 2; }
  }
  return functions;
}

function codeGroups(bytes, all) {
  const code = all.find((s) => s.id === 10);
  const names = functionNames(bytes, all);
  const imported = importedFunctions(bytes, all);
  const groups = new Map();
  let [count, pos] = leb(bytes, code.start);
  for (let i = 0; i < count; i++) {
    const [size, body] = leb(bytes, pos);
    const name = names.get(imported + i) || '';
    const group = name ? (GROUPS.find(([, re]) => re.test(name)) || ['other'])[0] : 'unnamed (no name section)';
    const g = groups.get(group) || { raw: 0, chunks: [] };
    g.raw += body + size - pos;
    g.chunks.push(bytes.subarray(pos, body + size));
    groups.set(group, g);
    pos = body + size;
  }
  return groups;
}

const kb = (n) => (n / 1000).toFixed(1);
const gz = (buf) => zlib.gzipSync(buf, { level: 9 }).length;

for (const file of process.argv.slice(2)) {
  const bytes = fs.readFileSync(file);
  const all = sections(bytes);
  console.log(`\n${file}: ${kb(bytes.length)} KB raw, ${kb(gz(bytes))} KB gzip\n`);
  console.log('| section | raw KB | gzip KB (alone) |\n|---|---:|---:|');
  for (const s of all) console.log(`| ${s.name} | ${kb(s.end - s.start)} | ${kb(gz(bytes.subarray(s.start, s.end)))} |`);
  const groups = codeGroups(bytes, all);
  if (groups.size > 1 || !groups.has('unnamed (no name section)')) {
    console.log('\n| code from | raw KB | gzip KB (alone) |\n|---|---:|---:|');
    for (const [name, g] of [...groups].sort((a, b) => b[1].raw - a[1].raw))
      console.log(`| ${name} | ${kb(g.raw)} | ${kb(gz(Buffer.concat(g.chunks)))} |`);
  }
}
