// docs/regulatory.md is what a site owner hands an auditor: each rule the law and
// the regulators set, and the tests of this repository that show the SDK keeps it.
// This test keeps that checklist true to the sources, so it cannot go stale when a
// test is renamed, moved or deleted: every test it names must be declared under
// that exact name in the file it names (and must run: not skipped or hidden), and
// every row of its table must name a test or say "not yet shown".
//
// The table's last column names tests as a code span holding the file's path,
// followed by one code span per test name in that file; that column holds no other
// code spans. Plain `node --test tests/docs/regulatory.test.js` works from a
// checkout; CTest passes CONSENT_SOURCE_DIR.
'use strict';
const test = require('node:test');
const assert = require('node:assert/strict');
const fs = require('node:fs');
const path = require('node:path');

const SOURCE_DIR = path.resolve(process.env.CONSENT_SOURCE_DIR || path.join(__dirname, '..', '..'));
const DOC = 'docs/regulatory.md';

// The suites the checklist may cite: Catch2 sources and node:test files.
const TEST_FILE = /^tests\/(?:core|server)\/(?:[\w-]+\/)*[\w-]+_test\.cpp$|^tests\/(?:web|demo|server|clients)\/(?:[\w-]+\/)*[\w-]+\.test\.js$/;

// ---------------------------------------------------------------------------
// Reading string literals, C++ and JavaScript: the escapes test names use.

const SIMPLE_ESCAPES = { n: '\n', t: '\t', r: '\r', 0: '\0', b: '\b', f: '\f', v: '\v' };

// The literal opening at text[start] (a quote), as { value, end } with end just past
// its closing quote; null when it is not a fixed string (a template with ${…}) or
// is not closed.
function readLiteral(text, start) {
  const quote = text[start];
  let value = '';
  for (let i = start + 1; i < text.length; i++) {
    const c = text[i];
    if (c === quote) return { value, end: i + 1 };
    if (quote === '`' && c === '$' && text[i + 1] === '{') return null;
    if (c === '\n' && quote !== '`') return null;
    if (c !== '\\') { value += c; continue; }
    const e = text[++i];
    if (e === 'u' && text[i + 1] === '{') {
      const close = text.indexOf('}', i);
      value += String.fromCodePoint(parseInt(text.slice(i + 2, close), 16));
      i = close;
    } else if (e === 'u' || e === 'x') {
      const digits = e === 'u' ? 4 : 2;
      value += String.fromCharCode(parseInt(text.slice(i + 1, i + 1 + digits), 16));
      i += digits;
    } else if (e === '\n') {
      // A line continuation adds nothing.
    } else {
      value += e in SIMPLE_ESCAPES ? SIMPLE_ESCAPES[e] : e;
    }
  }
  return null;
}

function skipSpace(text, i) {
  while (i < text.length && /\s/.test(text[i])) i++;
  return i;
}

// ---------------------------------------------------------------------------
// The tests a file declares, as { name, runs }. A declaration starts a line (so a
// commented-out one does not count): TEST_CASE("…" "…", "[tags]") in C++, whose
// adjacent literals concatenate; test('…') or it('…') in JavaScript. A Catch2 case
// tagged hidden ([.…) or expected to fail ([!…), or a node test given skip or todo,
// is declared but shows nothing.

const DECLARATION = {
  cpp: /^[ \t]*TEST_CASE[ \t]*\(/gm,
  js: /^[ \t]*(?:test|it)[ \t]*\(/gm,
};

function declaredTests(text, kind) {
  const found = [];
  for (const m of text.matchAll(DECLARATION[kind])) {
    let i = skipSpace(text, m.index + m[0].length);
    const quotes = kind === 'cpp' ? '"' : '\'"`';
    if (!quotes.includes(text[i])) continue;  // a name built by a macro or at run time
    let name = '';
    let literal;
    for (;;) {
      literal = readLiteral(text, i);
      if (literal === null) break;
      name += literal.value;
      i = skipSpace(text, literal.end);
      if (kind !== 'cpp' || text[i] !== '"') break;
    }
    if (literal === null) continue;
    found.push({ name, runs: runsByDefault(text, i, kind) });
  }
  return found;
}

// i is just past the name; what follows is "," and the tags (C++) or the options (JS).
function runsByDefault(text, i, kind) {
  if (text[i] !== ',') return true;
  i = skipSpace(text, i + 1);
  if (kind === 'cpp') {
    const tags = text[i] === '"' ? readLiteral(text, i) : null;
    return tags === null || !/\[[.!]/.test(tags.value);
  }
  if (text[i] !== '{') return true;
  const options = text.slice(i, text.indexOf('}', i) + 1);
  return !/\b(?:skip|todo)\b/.test(options);
}

// ---------------------------------------------------------------------------
// The checklist: its table's rows, and the tests each row names.

function splitRow(line) {
  return line.trim().replace(/^\|/, '').replace(/\|$/, '').split('|').map((cell) => cell.trim());
}

function readChecklist(markdown) {
  const lines = markdown.split('\n');
  const header = lines.findIndex((l) => /^\|\s*rule\s*\|/i.test(l));
  assert.ok(header >= 0, `${DOC} has no table whose first column is "rule"`);
  const columns = splitRow(lines[header]);
  assert.match(columns[columns.length - 1], /shown by/i, 'the last column says which tests show the rule');
  const rows = [];
  for (let n = header + 2; n < lines.length && lines[n].startsWith('|'); n++) {
    const cells = splitRow(lines[n]);
    assert.equal(cells.length, columns.length, `${DOC} line ${n + 1} has ${cells.length} cells, not ${columns.length}`);
    rows.push({ line: n + 1, rule: cells[0], shownBy: cells[cells.length - 1] });
  }
  return rows;
}

// The code spans of a "shown by" cell: a path, then the names of tests in that file.
function namedTests(row) {
  const refs = [];
  let file = null;
  for (const [, span] of row.shownBy.matchAll(/`([^`]+)`/g)) {
    if (span.startsWith('tests/')) {
      file = span;
      continue;
    }
    assert.ok(file !== null, `${DOC} line ${row.line}: \`${span}\` names no file before it`);
    refs.push({ file, name: span, line: row.line });
  }
  return { refs, files: [...row.shownBy.matchAll(/`(tests\/[^`]+)`/g)].map((m) => m[1]) };
}

// ---------------------------------------------------------------------------

test('the declaration reader takes names as the sources spell them, and skips what does not run', () => {
  const cpp = [
    'TEST_CASE("a \\"quoted\\" name", "[core]") {',
    'TEST_CASE("a name that goes on "',
    '          "over two literals",',
    '          "[server][http]") {',
    'TEST_CASE(',
    '    "a name on the next line", "[server]") {',
    '// TEST_CASE("commented out", "[core]") {',
    'TEST_CASE("a benchmark", "[.][benchmark]") {',
    'TEST_CASE("expected to fail", "[!shouldfail]") {',
    '    TEST_CASE(prefix "built by a macro", tags) {',
  ].join('\n');
  assert.deepEqual(declaredTests(cpp, 'cpp'), [
    { name: 'a "quoted" name', runs: true },
    { name: 'a name that goes on over two literals', runs: true },
    { name: 'a name on the next line', runs: true },
    { name: 'a benchmark', runs: false },
    { name: 'expected to fail', runs: false },
  ]);
  const js = [
    "test('the visitor\\'s language', async (t) => {",
    '  test("said \\"twice\\"", () => {',
    "it('an it', () => {});",
    "test('skipped', { skip: 'not on this machine' }, () => {});",
    "test('with a timeout', { timeout: 600000 }, async () => {});",
    '  test(`start-up: ${from} to ${to}`, async () => {',
    '// test(\'commented out\', () => {});',
    "assert.test('not a declaration');",
  ].join('\n');
  assert.deepEqual(declaredTests(js, 'js'), [
    { name: 'the visitor\'s language', runs: true },
    { name: 'said "twice"', runs: true },
    { name: 'an it', runs: true },
    { name: 'skipped', runs: false },
    { name: 'with a timeout', runs: true },
  ]);
});

const checklist = readChecklist(fs.readFileSync(path.join(SOURCE_DIR, DOC), 'utf8'));

test('every row of docs/regulatory.md names a test or says "not yet shown"', () => {
  assert.ok(checklist.length > 0, `${DOC} has an empty table`);
  const silent = checklist.filter((row) => namedTests(row).refs.length === 0 && !/not yet shown/i.test(row.shownBy));
  assert.deepEqual(silent.map((row) => `line ${row.line}: ${row.rule}`), []);
  const rules = checklist.map((row) => row.rule);
  assert.equal(new Set(rules).size, rules.length, 'a rule is listed twice');
});

test('every test docs/regulatory.md names is declared under that exact name in the file it names, and runs', () => {
  const declared = new Map();
  const problems = [];
  for (const row of checklist) {
    const { refs, files } = namedTests(row);
    for (const file of files) {
      if (!TEST_FILE.test(file)) problems.push(`line ${row.line}: ${file} is not a test file of the cited suites`);
      else if (!fs.existsSync(path.join(SOURCE_DIR, file))) problems.push(`line ${row.line}: ${file} does not exist`);
      else if (refs.every((r) => r.file !== file)) problems.push(`line ${row.line}: ${file} names no test`);
    }
    for (const ref of refs) {
      if (!TEST_FILE.test(ref.file) || !fs.existsSync(path.join(SOURCE_DIR, ref.file))) continue;
      if (!declared.has(ref.file)) {
        const text = fs.readFileSync(path.join(SOURCE_DIR, ref.file), 'utf8');
        declared.set(ref.file, declaredTests(text, ref.file.endsWith('.cpp') ? 'cpp' : 'js'));
      }
      const match = declared.get(ref.file).find((d) => d.name === ref.name);
      if (!match) problems.push(`line ${ref.line}: ${ref.file} declares no test named "${ref.name}"`);
      else if (!match.runs) problems.push(`line ${ref.line}: "${ref.name}" in ${ref.file} is skipped or hidden`);
    }
  }
  assert.ok(declared.size > 0, `${DOC} names no test at all`);
  assert.deepEqual(problems, []);
});
